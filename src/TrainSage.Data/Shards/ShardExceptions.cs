namespace TrainSage.Data.Shards;

/// <summary>A token shard that cannot be used; the message names the file, the problem and the fix.</summary>
public abstract class ShardException(string path, string message) : IOException(message)
{
    public string ShardPath { get; } = path;

    protected const string Fix = "Re-create the dataset with `trainsage data prepare`.";
}

/// <summary>The shard file (or the dataset.json naming it) does not exist.</summary>
public sealed class ShardMissingException(string path, string detail)
    : ShardException(path, $"Token shard '{path}' not found: {detail} {Fix}");

/// <summary>Not a TrainSage token shard: wrong magic, unknown version or dtype, or a header that contradicts itself.</summary>
public sealed class ShardFormatException(string path, string detail)
    : ShardException(path, $"'{path}' is not a valid TrainSage token shard: {detail} {Fix}");

/// <summary>The file is shorter than its header says: an interrupted write or copy, or a full disk.</summary>
public sealed class ShardTruncatedException(string path, long expectedBytes, long actualBytes, string expectation)
    : ShardException(path,
        $"Token shard '{path}' is truncated: expected {expectedBytes:N0} bytes ({expectation}) but the file has " +
        $"{actualBytes:N0}. It was cut short (an interrupted write or copy, or a full disk). {Fix}")
{
    public long ExpectedBytes { get; } = expectedBytes;
    public long ActualBytes { get; } = actualBytes;
}

/// <summary>The payload's CRC-32C differs from the header's: the tokens were altered after writing.</summary>
public sealed class ShardChecksumException(string path, uint expected, uint actual)
    : ShardException(path,
        $"Token shard '{path}' is corrupt: its tokens have CRC-32C 0x{actual:x8} but the header records 0x{expected:x8}. {Fix}")
{
    public uint Expected { get; } = expected;
    public uint Actual { get; } = actual;
}

/// <summary>The shard was tokenized by a different tokenizer than the one expected, so its ids mean other text.</summary>
public sealed class TokenizerMismatchException(string path, string expectedFingerprint, string actualFingerprint)
    : ShardException(path,
        $"Token shard '{path}' was written by a different tokenizer (fingerprint {Short(actualFingerprint)}, expected " +
        $"{Short(expectedFingerprint)}), so its token ids would be read as other text. Prepare the data with the " +
        "tokenizer the model uses (`trainsage data prepare` with that tokenizer.json), or point the recipe at the " +
        "dataset prepared with it.")
{
    public string ExpectedFingerprint { get; } = expectedFingerprint;
    public string ActualFingerprint { get; } = actualFingerprint;

    private static string Short(string fingerprint) => fingerprint.Length > 12 ? fingerprint[..12] + "…" : fingerprint;
}
