using TrainSage.Formats.Checksums;
using System.IO.MemoryMappedFiles;

namespace TrainSage.Data.Shards;

/// <summary>
/// A token shard mapped read-only into memory: the OS pages tokens in as they are read, so a shard larger than
/// memory works and several processes (ranks) share one copy. Thread-safe for reading.
/// </summary>
public sealed unsafe class TokenShard : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _payload;
    private bool _disposed;

    private TokenShard(string path, ShardHeader header, MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        Path = path;
        Header = header;
        _file = file;
        _view = view;
        byte* start = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        _payload = start + _view.PointerOffset + ShardHeader.Size;
    }

    public string Path { get; }
    public ShardHeader Header { get; }
    public long TokenCount => Header.TokenCount;
    public int VocabSize => Header.VocabSize;

    /// <summary>Opens and validates a shard; every problem is a <see cref="ShardException"/> naming the file and the fix.</summary>
    public static TokenShard Open(string path, ShardOpenOptions? options = null)
    {
        options ??= ShardOpenOptions.Default;
        if (!File.Exists(path)) throw new ShardMissingException(path, "the file does not exist.");
        var header = ReadHeader(path, out var fileBytes);
        if (fileBytes < header.FileBytes)
            throw new ShardTruncatedException(path, header.FileBytes, fileBytes,
                $"{ShardHeader.Size}-byte header + {header.TokenCount:N0} tokens x {header.Dtype.BytesPerToken()} bytes");
        if (fileBytes > header.FileBytes)
            throw new ShardFormatException(path,
                $"the file has {fileBytes:N0} bytes but its header describes {header.FileBytes:N0} (extra data after the tokens).");
        if (options.ExpectedTokenizerFingerprint is { } expected
            && !string.Equals(expected, header.TokenizerFingerprint, StringComparison.OrdinalIgnoreCase))
            throw new TokenizerMismatchException(path, expected, header.TokenizerFingerprint);

        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
        var shard = new TokenShard(path, header, file, file.CreateViewAccessor(0, fileBytes, MemoryMappedFileAccess.Read));
        if (options.VerifyChecksum)
        {
            var actual = shard.ComputeChecksum();
            if (actual != header.Checksum)
            {
                shard.Dispose();
                throw new ShardChecksumException(path, header.Checksum, actual);
            }
        }
        return shard;
    }

    /// <summary>Copies tokens [start, start + destination.Length) into <paramref name="destination"/> as ints.</summary>
    public void CopyTo(long start, Span<int> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (start < 0 || start > TokenCount - destination.Length)
            throw new ArgumentOutOfRangeException(nameof(start), start,
                $"Tokens [{start}, {start + destination.Length}) are outside shard '{Path}' ({TokenCount} tokens).");
        if (Header.Dtype == TokenDtype.UInt16)
        {
            var source = new ReadOnlySpan<ushort>(_payload + 2 * start, destination.Length);
            for (var i = 0; i < source.Length; i++) destination[i] = source[i];
        }
        else
        {
            var source = new ReadOnlySpan<int>(_payload + 4 * start, destination.Length);
            source.CopyTo(destination);
        }
    }

    public int this[long index]
    {
        get
        {
            Span<int> token = stackalloc int[1];
            CopyTo(index, token);
            return token[0];
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    private static ShardHeader ReadHeader(string path, out long fileBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        fileBytes = stream.Length;
        var header = new byte[ShardHeader.Size];
        var read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        return ShardHeader.Parse(header.AsSpan(0, read), path);
    }

    private uint ComputeChecksum()
    {
        var remaining = TokenCount * Header.Dtype.BytesPerToken();
        var crc = 0u;
        for (var offset = 0L; remaining > 0;)
        {
            var length = (int)Math.Min(remaining, 1 << 30);
            crc = Crc32C.Append(crc, new ReadOnlySpan<byte>(_payload + offset, length));
            offset += length;
            remaining -= length;
        }
        return crc;
    }
}
