using TrainSage.Formats.Checksums;
using TrainSage.Data.Shards;

namespace TrainSage.Data.Tests;

public class ShardTests
{
    private static readonly string FingerprintA = new('a', 64);
    private static readonly string FingerprintB = new('b', 64);

    private static int[] Tokens(int count, int vocabSize) => Enumerable.Range(0, count).Select(i => (i * 7919) % vocabSize).ToArray();

    [Theory]
    [InlineData(300, TokenDtype.UInt16)]
    [InlineData(65536, TokenDtype.UInt16)]
    [InlineData(70000, TokenDtype.UInt32)]
    public void Written_tokens_read_back_with_the_header_fields(int vocabSize, TokenDtype dtype)
    {
        using var folder = new TempDirectory();
        var tokens = Tokens(100_000, vocabSize);
        ShardWriter.WriteAll(folder["s.bin"], tokens, vocabSize, FingerprintA);

        using var shard = TokenShard.Open(folder["s.bin"], new ShardOpenOptions(ExpectedTokenizerFingerprint: FingerprintA));
        var read = new int[tokens.Length];
        shard.CopyTo(0, read);

        Assert.Equal(tokens, read);
        Assert.Equal(dtype, shard.Header.Dtype);
        Assert.Equal(vocabSize, shard.VocabSize);
        Assert.Equal(tokens.Length, shard.TokenCount);
        Assert.Equal(FingerprintA, shard.Header.TokenizerFingerprint);
        Assert.Equal(tokens[12_345], shard[12_345]);
        Assert.Equal(ShardHeader.Size + tokens.Length * (dtype == TokenDtype.UInt16 ? 2 : 4), new FileInfo(folder["s.bin"]).Length);
    }

    [Fact]
    public void The_header_starts_with_the_magic_and_records_the_payload_checksum()
    {
        using var folder = new TempDirectory();
        var header = ShardWriter.WriteAll(folder["s.bin"], [1, 2, 3], 256, FingerprintA);
        var bytes = File.ReadAllBytes(folder["s.bin"]);

        Assert.Equal("TSTOKENS"u8.ToArray(), bytes[..8]);
        Assert.Equal(Crc32C.Compute(bytes.AsSpan(ShardHeader.Size)), header.Checksum);
    }

    [Fact]
    public void A_truncated_shard_names_the_file_the_sizes_and_the_fix()
    {
        using var folder = new TempDirectory();
        ShardWriter.WriteAll(folder["train.bin"], Tokens(1000, 256), 256, FingerprintA);
        using (var file = File.OpenWrite(folder["train.bin"])) file.SetLength(ShardHeader.Size + 1500);

        var error = Assert.Throws<ShardTruncatedException>(() => TokenShard.Open(folder["train.bin"]));

        Assert.Equal(ShardHeader.Size + 2000, error.ExpectedBytes);
        Assert.Equal(ShardHeader.Size + 1500, error.ActualBytes);
        Assert.Contains(folder["train.bin"], error.Message);
        Assert.Contains("2,128 bytes", error.Message);
        Assert.Contains("1,628", error.Message);
        Assert.Contains("trainsage data prepare", error.Message);
    }

    [Fact]
    public void A_shard_cut_inside_its_header_is_truncated()
    {
        using var folder = new TempDirectory();
        ShardWriter.WriteAll(folder["s.bin"], [1, 2, 3], 256, FingerprintA);
        using (var file = File.OpenWrite(folder["s.bin"])) file.SetLength(40);

        var error = Assert.Throws<ShardTruncatedException>(() => TokenShard.Open(folder["s.bin"]));
        Assert.Equal(40, error.ActualBytes);
    }

    [Fact]
    public void A_corrupted_payload_fails_the_checksum_unless_verification_is_skipped()
    {
        using var folder = new TempDirectory();
        ShardWriter.WriteAll(folder["s.bin"], Tokens(1000, 256), 256, FingerprintA);
        var bytes = File.ReadAllBytes(folder["s.bin"]);
        bytes[ShardHeader.Size + 777] ^= 0x10;
        File.WriteAllBytes(folder["s.bin"], bytes);

        var error = Assert.Throws<ShardChecksumException>(() => TokenShard.Open(folder["s.bin"]));
        Assert.Contains("corrupt", error.Message);
        Assert.NotEqual(error.Expected, error.Actual);

        using var unverified = TokenShard.Open(folder["s.bin"], new ShardOpenOptions(VerifyChecksum: false));
        Assert.Equal(1000, unverified.TokenCount);
    }

    [Fact]
    public void A_file_without_the_magic_is_not_a_shard()
    {
        using var folder = new TempDirectory();
        var path = folder.Write("notes.bin", new string('x', 500));

        var error = Assert.Throws<ShardFormatException>(() => TokenShard.Open(path));
        Assert.Contains("magic bytes \"TSTOKENS\"", error.Message);
    }

    [Fact]
    public void An_unknown_format_version_is_rejected()
    {
        using var folder = new TempDirectory();
        ShardWriter.WriteAll(folder["s.bin"], [1, 2, 3], 256, FingerprintA);
        var bytes = File.ReadAllBytes(folder["s.bin"]);
        bytes[8] = 9;
        File.WriteAllBytes(folder["s.bin"], bytes);

        var error = Assert.Throws<ShardFormatException>(() => TokenShard.Open(folder["s.bin"]));
        Assert.Contains("format version 9", error.Message);
    }

    [Fact]
    public void A_shard_from_another_tokenizer_is_detected()
    {
        using var folder = new TempDirectory();
        ShardWriter.WriteAll(folder["s.bin"], [1, 2, 3], 256, FingerprintB);

        var error = Assert.Throws<TokenizerMismatchException>(() =>
            TokenShard.Open(folder["s.bin"], new ShardOpenOptions(ExpectedTokenizerFingerprint: FingerprintA)));
        Assert.Equal(FingerprintB, error.ActualFingerprint);
        Assert.Contains("different tokenizer", error.Message);
    }

    [Fact]
    public void A_missing_shard_names_the_file()
    {
        using var folder = new TempDirectory();
        var error = Assert.Throws<ShardMissingException>(() => TokenShard.Open(folder["nope.bin"]));
        Assert.Equal(folder["nope.bin"], error.ShardPath);
    }

    [Fact]
    public void The_writer_rejects_ids_outside_the_vocabulary_and_leaves_no_file()
    {
        using var folder = new TempDirectory();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ShardWriter.WriteAll(folder["s.bin"], [1, 256], 256, FingerprintA));

        Assert.Contains("Token id 256 (token 1", error.Message);
        Assert.Empty(Directory.EnumerateFiles(folder.Path));
    }

    [Fact]
    public void Reads_outside_the_shard_are_rejected()
    {
        using var folder = new TempDirectory();
        ShardWriter.WriteAll(folder["s.bin"], [1, 2, 3], 256, FingerprintA);
        using var shard = TokenShard.Open(folder["s.bin"]);

        Assert.Throws<ArgumentOutOfRangeException>(() => shard.CopyTo(1, new int[3]));
    }
}
