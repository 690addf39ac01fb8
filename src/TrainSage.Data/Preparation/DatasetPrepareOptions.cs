using TrainSage.Data.Tokenizers;

namespace TrainSage.Data.Preparation;

/// <summary>What <c>trainsage data prepare</c> turns into a dataset folder.</summary>
/// <param name="Inputs">File patterns (see <see cref="Corpus.InputGlobs"/>): .txt, .md, .rst, .jsonl.</param>
/// <param name="OutputDirectory">Receives train/val shards, tokenizer.json and dataset.json (created if missing).</param>
/// <param name="TokenizerKind">byte, char or bpe.</param>
/// <param name="VocabSize">Required for bpe; unset (or 256) for byte; unset for char.</param>
/// <param name="ValFraction">Share of the corpus, by characters, held out for validation, in [0, 1).</param>
/// <param name="Seed">Chooses the validation documents when the corpus is split by documents.</param>
/// <param name="TextField">The field of each .jsonl line that holds the text.</param>
/// <param name="TokenizerFile">
/// Reuse this tokenizer.json instead of building one (fine-tuning data must use the pretraining tokenizer);
/// it must be of <paramref name="TokenizerKind"/> and, when VocabSize is set, of that size.
/// </param>
/// <param name="MaxTokensPerShard">A split with more tokens is written as several shards.</param>
/// <param name="BaseDirectory">Relative input patterns start here (default: the current directory).</param>
public sealed record DatasetPrepareOptions(
    IReadOnlyList<string> Inputs,
    string OutputDirectory,
    TokenizerKind TokenizerKind = TokenizerKind.Byte,
    int? VocabSize = null,
    double ValFraction = 0.1,
    ulong Seed = 1337,
    string TextField = "text",
    string? TokenizerFile = null,
    long MaxTokensPerShard = 1L << 28,
    string? BaseDirectory = null)
{
    /// <summary>Throws an ArgumentException naming the first bad field and its allowed values.</summary>
    public void Validate()
    {
        if (Inputs.Count == 0) throw new ArgumentException("inputs: give at least one file or pattern (e.g. data/*.txt).", nameof(Inputs));
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new ArgumentException("output: give the dataset folder to write.", nameof(OutputDirectory));
        if (!(ValFraction >= 0 && ValFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(ValFraction), ValFraction, "val_fraction must be in [0, 1), e.g. 0.1.");
        if (string.IsNullOrWhiteSpace(TextField)) throw new ArgumentException("text_field: name the .jsonl field that holds the text.", nameof(TextField));
        if (MaxTokensPerShard < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxTokensPerShard), MaxTokensPerShard, "max_tokens_per_shard must be at least 1.");
    }
}
