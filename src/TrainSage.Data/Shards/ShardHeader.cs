using System.Buffers.Binary;

namespace TrainSage.Data.Shards;

/// <summary>The fixed 128-byte header at the start of every token shard (layout in FORMAT.md).</summary>
public sealed record ShardHeader(TokenDtype Dtype, int VocabSize, long TokenCount, uint Checksum, string TokenizerFingerprint)
{
    public const int Size = 128;
    public const uint CurrentVersion = 1;
    public static ReadOnlySpan<byte> Magic => "TSTOKENS"u8;

    private const int FingerprintBytes = 32;

    /// <summary>Bytes the whole file must have: header plus payload.</summary>
    public long FileBytes => Size + TokenCount * Dtype.BytesPerToken();

    public void WriteTo(Span<byte> header)
    {
        header[..Size].Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], CurrentVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)Dtype);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)VocabSize);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], (ulong)TokenCount);
        BinaryPrimitives.WriteUInt32LittleEndian(header[32..], Checksum);
        var fingerprint = Convert.FromHexString(TokenizerFingerprint);
        if (fingerprint.Length != FingerprintBytes)
            throw new ArgumentException($"A tokenizer fingerprint is {FingerprintBytes} bytes (SHA-256 as hex); got {fingerprint.Length}.");
        fingerprint.CopyTo(header[40..]);
    }

    /// <summary>Parses and checks a header read from <paramref name="path"/> (which names the file in errors).</summary>
    public static ShardHeader Parse(ReadOnlySpan<byte> header, string path)
    {
        if (header.Length < Magic.Length || !header[..Magic.Length].SequenceEqual(Magic))
            throw new ShardFormatException(path, "it does not start with the magic bytes \"TSTOKENS\".");
        if (header.Length < Size)
            throw new ShardTruncatedException(path, Size, header.Length, "at least the 128-byte header");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version != CurrentVersion)
            throw new ShardFormatException(path, $"format version {version} is not supported (this build reads version {CurrentVersion}).");
        var dtype = (TokenDtype)BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        if (!Enum.IsDefined(dtype))
            throw new ShardFormatException(path, $"dtype code {(uint)dtype} is unknown (1 = uint16, 2 = uint32).");
        var vocabSize = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        if (vocabSize == 0 || vocabSize > int.MaxValue || (dtype == TokenDtype.UInt16 && vocabSize > 1 << 16))
            throw new ShardFormatException(path, $"vocab size {vocabSize} does not fit dtype {dtype}.");
        var tokenCount = BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
        if (tokenCount > long.MaxValue / 8)
            throw new ShardFormatException(path, $"token count {tokenCount} is impossible.");
        return new ShardHeader(dtype, (int)vocabSize, (long)tokenCount,
            BinaryPrimitives.ReadUInt32LittleEndian(header[32..]),
            Convert.ToHexStringLower(header.Slice(40, FingerprintBytes)));
    }
}
