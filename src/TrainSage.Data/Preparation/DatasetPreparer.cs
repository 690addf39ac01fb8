using TrainSage.Data.Corpus;
using TrainSage.Data.Datasets;
using TrainSage.Data.Tokenizers;

namespace TrainSage.Data.Preparation;

/// <summary>
/// <c>trainsage data prepare</c>: reads the corpus twice, first to build the tokenizer and measure documents,
/// then to tokenize into train and val shards (<see cref="SplitPlan"/> decides which text goes where). Writes
/// tokenizer.json, the shards, and dataset.json last, so an interrupted run leaves no manifest behind.
/// </summary>
public sealed class DatasetPreparer(Action<string>? log = null)
{
    private readonly Action<string> _log = log ?? (_ => { });

    public DatasetManifest Prepare(DatasetPrepareOptions options, CancellationToken cancellation = default)
    {
        options.Validate();
        var files = InputGlobs.Expand(options.Inputs, options.BaseDirectory);
        CorpusReader.CheckSupported(files);
        var trainer = CreateTrainer(options);
        _log($"Reading {files.Count} file(s) to build the {options.TokenizerKind.ToName()} tokenizer.");

        var documentLengths = new List<long>();
        foreach (var document in CorpusReader.Read(files, options.TextField))
        {
            cancellation.ThrowIfCancellationRequested();
            trainer.Add(document.Text);
            documentLengths.Add(document.Text.Length);
        }
        if (documentLengths.Count == 0)
            throw new InvalidDataException($"The inputs ({string.Join(", ", options.Inputs)}) hold no text: every file or .jsonl line is empty.");
        if (documentLengths.Count > 1) trainer.Add(SplitPlan.DocumentSeparator);
        var tokenizer = trainer.Build();
        _log($"Tokenizer {tokenizer.Name}: {documentLengths.Count} document(s), {documentLengths.Sum():N0} characters.");

        Directory.CreateDirectory(options.OutputDirectory);
        File.Delete(Path.Combine(options.OutputDirectory, DatasetManifest.FileName));
        const string tokenizerFile = "tokenizer.json";
        tokenizer.Save(Path.Combine(options.OutputDirectory, tokenizerFile));

        var plan = SplitPlan.Create(documentLengths, options.ValFraction, options.Seed);
        var (train, val) = WriteSplits(options, files, tokenizer, plan, documentLengths.Count, cancellation);
        var manifest = new DatasetManifest(DatasetManifest.CurrentFormatVersion, tokenizer.Kind.ToName(), tokenizer.VocabSize,
            tokenizerFile, tokenizer.Fingerprint, train, val, plan.Method, options.ValFraction, options.Seed,
            documentLengths.Count, documentLengths.Sum(), files);
        manifest.Write(options.OutputDirectory);
        _log($"Wrote {train.Tokens:N0} train and {val.Tokens:N0} val tokens ({plan.Method} split) to {options.OutputDirectory}.");
        return manifest;
    }

    private static ITokenizerTrainer CreateTrainer(DatasetPrepareOptions options)
    {
        if (options.TokenizerFile is null) return Tokenizer.CreateTrainer(options.TokenizerKind, options.VocabSize);
        var tokenizer = Tokenizer.Load(options.TokenizerFile);
        if (tokenizer.Kind != options.TokenizerKind)
            throw new ArgumentException(
                $"Tokenizer file '{options.TokenizerFile}' holds a {tokenizer.Kind.ToName()} tokenizer but the tokenizer kind is " +
                $"{options.TokenizerKind.ToName()}. Set the kind to {tokenizer.Kind.ToName()} or use another tokenizer file.");
        if (options.VocabSize is { } vocabSize && vocabSize != tokenizer.VocabSize)
            throw new ArgumentException(
                $"Tokenizer file '{options.TokenizerFile}' has vocab size {tokenizer.VocabSize} but vocab_size is {vocabSize}. " +
                "Leave vocab_size unset when reusing a tokenizer, or set it to match.");
        return Tokenizer.Reuse(tokenizer);
    }

    private static (DatasetSplit Train, DatasetSplit Val) WriteSplits(DatasetPrepareOptions options, IReadOnlyList<string> files,
        ITokenizer tokenizer, SplitPlan plan, int documentCount, CancellationToken cancellation)
    {
        var directory = options.OutputDirectory;
        SplitWriter.DeleteExisting(directory, "train");
        SplitWriter.DeleteExisting(directory, "val");
        using var train = new SplitWriter(directory, "train", tokenizer.VocabSize, tokenizer.Fingerprint, options.MaxTokensPerShard);
        using var val = new SplitWriter(directory, "val", tokenizer.VocabSize, tokenizer.Fingerprint, options.MaxTokensPerShard);
        var router = new SplitRouter(plan, tokenizer, train, val);
        var index = 0;
        foreach (var document in CorpusReader.Read(files, options.TextField))
        {
            cancellation.ThrowIfCancellationRequested();
            if (index == documentCount) break;
            router.Add(index++, document.Text);
        }
        if (index != documentCount)
            throw new InvalidDataException("The input files changed while the dataset was being prepared; run `trainsage data prepare` again.");
        return (train.Complete(), val.Complete());
    }
}
