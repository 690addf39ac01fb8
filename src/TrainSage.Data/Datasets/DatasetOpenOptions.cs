namespace TrainSage.Data.Datasets;

/// <param name="VerifyChecksums">Recompute every shard's CRC-32C on open (reads all data; skip for huge datasets).</param>
/// <param name="ExpectedTokenizerFingerprint">
/// The fingerprint of the tokenizer the model uses (e.g. from a checkpoint being fine-tuned); null accepts the
/// dataset's own tokenizer.json.
/// </param>
public sealed record DatasetOpenOptions(bool VerifyChecksums = true, string? ExpectedTokenizerFingerprint = null);
