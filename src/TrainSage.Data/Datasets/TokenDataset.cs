using TrainSage.Data.Shards;
using TrainSage.Data.Tokenizers;

namespace TrainSage.Data.Datasets;

/// <summary>A prepared dataset folder, opened: its manifest, tokenizer and memory-mapped train and val shards.</summary>
public sealed class TokenDataset : IDisposable
{
    private TokenDataset(string directory, DatasetManifest manifest, ITokenizer tokenizer,
        IReadOnlyList<TokenShard> train, IReadOnlyList<TokenShard> validation)
    {
        Directory = directory;
        Manifest = manifest;
        Tokenizer = tokenizer;
        Train = train;
        Validation = validation;
    }

    public string Directory { get; }
    public DatasetManifest Manifest { get; }
    public ITokenizer Tokenizer { get; }
    public IReadOnlyList<TokenShard> Train { get; }
    public IReadOnlyList<TokenShard> Validation { get; }

    /// <summary>
    /// Opens every shard the manifest lists, checking each against the tokenizer (the expected fingerprint if
    /// given, else the folder's tokenizer.json). Any problem is an exception naming the file and the fix.
    /// </summary>
    public static TokenDataset Open(string directory, DatasetOpenOptions? options = null)
    {
        options ??= new DatasetOpenOptions();
        var manifest = DatasetManifest.Read(directory);
        var tokenizer = Tokenizers.Tokenizer.Load(Path.Combine(directory, manifest.TokenizerFile));
        var shardOptions = new ShardOpenOptions(options.VerifyChecksums, options.ExpectedTokenizerFingerprint ?? tokenizer.Fingerprint);
        var opened = new List<TokenShard>();
        try
        {
            var train = OpenSplit(directory, manifest.Train, shardOptions, opened);
            var validation = OpenSplit(directory, manifest.Val, shardOptions, opened);
            return new TokenDataset(directory, manifest, tokenizer, train, validation);
        }
        catch
        {
            foreach (var shard in opened) shard.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var shard in Train.Concat(Validation)) shard.Dispose();
    }

    private static TokenShard[] OpenSplit(string directory, DatasetSplit split, ShardOpenOptions options, List<TokenShard> opened)
    {
        var shards = new TokenShard[split.Shards.Count];
        for (var i = 0; i < shards.Length; i++)
        {
            var path = Path.Combine(directory, split.Shards[i]);
            if (!File.Exists(path))
                throw new ShardMissingException(path, $"{DatasetManifest.FileName} lists it but the file does not exist.");
            opened.Add(shards[i] = TokenShard.Open(path, options));
        }
        var tokens = shards.Sum(shard => shard.TokenCount);
        if (tokens != split.Tokens)
            throw new InvalidDataException(
                $"The shards in '{directory}' hold {tokens} tokens but {DatasetManifest.FileName} records {split.Tokens}: " +
                "the folder mixes files from different preparations. Re-run `trainsage data prepare`.");
        return shards;
    }
}
