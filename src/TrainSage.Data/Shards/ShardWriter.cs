using TrainSage.Formats.Checksums;
using System.Buffers.Binary;

namespace TrainSage.Data.Shards;

/// <summary>
/// Streams tokens into a shard file. The file appears under its name only on <see cref="Complete"/> (written as
/// name.tmp, flushed to disk, then renamed), so a crash never leaves a half-written shard under the real name.
/// </summary>
public sealed class ShardWriter : IDisposable
{
    private const int ChunkTokens = 1 << 16;

    private readonly string _path;
    private readonly string _tempPath;
    private readonly int _vocabSize;
    private readonly string _tokenizerFingerprint;
    private readonly TokenDtype _dtype;
    private readonly FileStream _file;
    private readonly byte[] _chunk;
    private uint _checksum;
    private bool _completed;

    public ShardWriter(string path, int vocabSize, string tokenizerFingerprint)
    {
        if (vocabSize <= 0) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "A vocabulary has at least one id.");
        _path = path;
        _tempPath = path + ".tmp";
        _vocabSize = vocabSize;
        _tokenizerFingerprint = tokenizerFingerprint;
        _dtype = TokenDtypes.ForVocab(vocabSize);
        _chunk = new byte[ChunkTokens * _dtype.BytesPerToken()];
        _file = new FileStream(_tempPath, FileMode.Create, FileAccess.Write, FileShare.None);
        _file.Write(new byte[ShardHeader.Size]); // placeholder until the count and checksum are known
    }

    public long TokenCount { get; private set; }

    public void Write(ReadOnlySpan<int> tokens)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        while (!tokens.IsEmpty)
        {
            var count = Math.Min(tokens.Length, ChunkTokens);
            var bytes = Encode(tokens[..count]);
            _checksum = Crc32C.Append(_checksum, bytes);
            _file.Write(bytes);
            TokenCount += count;
            tokens = tokens[count..];
        }
    }

    /// <summary>Writes the header, syncs the file to disk and moves it to its final name.</summary>
    public ShardHeader Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        var header = new ShardHeader(_dtype, _vocabSize, TokenCount, _checksum, _tokenizerFingerprint);
        var bytes = new byte[ShardHeader.Size];
        header.WriteTo(bytes);
        _file.Position = 0;
        _file.Write(bytes);
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        File.Move(_tempPath, _path, overwrite: true);
        _completed = true;
        return header;
    }

    /// <summary>Writes a whole shard at once.</summary>
    public static ShardHeader WriteAll(string path, ReadOnlySpan<int> tokens, int vocabSize, string tokenizerFingerprint)
    {
        using var writer = new ShardWriter(path, vocabSize, tokenizerFingerprint);
        writer.Write(tokens);
        return writer.Complete();
    }

    /// <summary>Abandons an incomplete shard: its temporary file is removed.</summary>
    public void Dispose()
    {
        if (_completed) return;
        _completed = true;
        _file.Dispose();
        File.Delete(_tempPath);
    }

    private Span<byte> Encode(ReadOnlySpan<int> tokens)
    {
        var width = _dtype.BytesPerToken();
        for (var i = 0; i < tokens.Length; i++)
        {
            var id = tokens[i];
            if ((uint)id >= (uint)_vocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), id,
                    $"Token id {id} (token {TokenCount + i} of shard '{_path}') is outside the vocabulary [0, {_vocabSize}).");
            if (width == 2) BinaryPrimitives.WriteUInt16LittleEndian(_chunk.AsSpan(2 * i), (ushort)id);
            else BinaryPrimitives.WriteUInt32LittleEndian(_chunk.AsSpan(4 * i), (uint)id);
        }
        return _chunk.AsSpan(0, tokens.Length * width);
    }
}
