using TrainSage.Data.Datasets;
using TrainSage.Data.Shards;

namespace TrainSage.Data.Preparation;

/// <summary>
/// Writes one split ("train" or "val") as shards of at most maxTokensPerShard tokens: name.bin when one shard
/// suffices, else name-00000.bin, name-00001.bin, ...
/// </summary>
internal sealed class SplitWriter(string directory, string name, int vocabSize, string tokenizerFingerprint, long maxTokensPerShard)
    : IDisposable
{
    private readonly List<string> _shards = [];
    private ShardWriter? _current;
    private long _tokens;

    public void Write(ReadOnlySpan<int> tokens)
    {
        while (!tokens.IsEmpty)
        {
            _current ??= new ShardWriter(Path.Combine(directory, NumberedName(_shards.Count)), vocabSize, tokenizerFingerprint);
            var room = (int)Math.Min(tokens.Length, maxTokensPerShard - _current.TokenCount);
            _current.Write(tokens[..room]);
            _tokens += room;
            tokens = tokens[room..];
            if (_current.TokenCount == maxTokensPerShard) CompleteShard();
        }
    }

    public DatasetSplit Complete()
    {
        if (_current is not null || _shards.Count == 0)
        {
            _current ??= new ShardWriter(Path.Combine(directory, NumberedName(0)), vocabSize, tokenizerFingerprint);
            CompleteShard();
        }
        if (_shards.Count == 1)
        {
            File.Move(Path.Combine(directory, _shards[0]), Path.Combine(directory, $"{name}.bin"), overwrite: true);
            _shards[0] = $"{name}.bin";
        }
        return new DatasetSplit(_tokens, _shards);
    }

    /// <summary>Deletes the shards a previous preparation of this split left in the folder.</summary>
    public static void DeleteExisting(string directory, string name)
    {
        foreach (var file in Directory.EnumerateFiles(directory, $"{name}*.bin"))
        {
            var fileName = Path.GetFileName(file);
            if (fileName == $"{name}.bin" || System.Text.RegularExpressions.Regex.IsMatch(fileName, $@"^{name}-\d{{5}}\.bin$"))
                File.Delete(file);
        }
    }

    public void Dispose() => _current?.Dispose();

    private string NumberedName(int index) => $"{name}-{index:D5}.bin";

    private void CompleteShard()
    {
        _current!.Complete();
        _shards.Add(NumberedName(_shards.Count));
        _current = null;
    }
}
