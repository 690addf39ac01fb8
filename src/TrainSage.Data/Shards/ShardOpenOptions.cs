namespace TrainSage.Data.Shards;

/// <summary>What <see cref="TokenShard.Open"/> checks beyond the header and the file size.</summary>
/// <param name="VerifyChecksum">Recompute the payload CRC-32C on open (reads the whole file; skip for huge shards).</param>
/// <param name="ExpectedTokenizerFingerprint">When set, the shard must come from the tokenizer with this fingerprint.</param>
public sealed record ShardOpenOptions(bool VerifyChecksum = true, string? ExpectedTokenizerFingerprint = null)
{
    public static ShardOpenOptions Default { get; } = new();
}
