using System.Collections.Concurrent;
using System.Text;

namespace TrainSage.Data.Tokenizers;

/// <summary>
/// Byte-level BPE: ids 0..255 are bytes, id 256 + k is merge k (the concatenation of its two parts). Text is
/// split by <see cref="Pretokenizer"/> and each piece's UTF-8 bytes are merged lowest rank first, which
/// reproduces the segmentation the trainer (<see cref="BpeTrainer"/>) gave the same piece.
/// </summary>
public sealed class BpeTokenizer : ITokenizer
{
    /// <summary>Pieces repeat a lot (words); past this many cached pieces the cache starts over.</summary>
    private const int MaxCachedPieces = 1 << 18;

    private readonly (int Left, int Right)[] _merges;
    private readonly Dictionary<long, int> _rankByPair;
    private readonly byte[][] _bytesById;
    private readonly ConcurrentDictionary<string, int[]> _pieceCache = new();
    private string? _fingerprint;

    /// <param name="merges">Merge k joins ids (Left, Right), both below 256 + k, into id 256 + k.</param>
    public BpeTokenizer(IReadOnlyList<(int Left, int Right)> merges)
    {
        _merges = merges.ToArray();
        _rankByPair = new Dictionary<long, int>(_merges.Length);
        _bytesById = new byte[256 + _merges.Length][];
        for (var b = 0; b < 256; b++) _bytesById[b] = [(byte)b];
        for (var rank = 0; rank < _merges.Length; rank++)
        {
            var (left, right) = _merges[rank];
            var newId = 256 + rank;
            if ((uint)left >= (uint)newId || (uint)right >= (uint)newId)
                throw new ArgumentException(
                    $"BPE merge {rank} ({left}, {right}) refers to an id that does not exist before it (must be < {newId}).",
                    nameof(merges));
            if (!_rankByPair.TryAdd(PairKey(left, right), rank))
                throw new ArgumentException($"BPE merge {rank} ({left}, {right}) repeats an earlier merge.", nameof(merges));
            _bytesById[newId] = [.. _bytesById[left], .. _bytesById[right]];
        }
    }

    public TokenizerKind Kind => TokenizerKind.Bpe;
    public string Name => $"bpe-{VocabSize}";
    public int VocabSize => _bytesById.Length;
    public IReadOnlyList<(int Left, int Right)> Merges => _merges;

    internal static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    public int[] Encode(string text)
    {
        var tokens = new List<int>(text.Length / 3 + 1);
        foreach (var piece in Pretokenizer.Split(text))
            tokens.AddRange(EncodePiece(text.AsSpan(piece.Index, piece.Length)));
        return tokens.ToArray();
    }

    public string Decode(ReadOnlySpan<int> tokens)
    {
        var bytes = new List<byte>(tokens.Length * 3);
        for (var i = 0; i < tokens.Length; i++)
        {
            TokenIds.CheckId(tokens[i], i, this);
            bytes.AddRange(_bytesById[tokens[i]]);
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    public string ToJson() => TokenizerJson.Write(this, json =>
    {
        json.WriteStartArray("merges");
        foreach (var (left, right) in _merges) json.WriteStringValue($"{left} {right}");
        json.WriteEndArray();
    });

    public void Save(string path) => TokenizerJson.Save(this, path);

    public string Fingerprint => _fingerprint ??= TokenizerJson.Fingerprint(this);

    private int[] EncodePiece(ReadOnlySpan<char> piece)
    {
        var cache = _pieceCache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (cache.TryGetValue(piece, out var cached)) return cached;
        var ids = MergePiece(Encoding.UTF8.GetBytes(piece.ToArray()));
        if (_pieceCache.Count >= MaxCachedPieces) _pieceCache.Clear();
        cache[piece] = ids;
        return ids;
    }

    /// <summary>Applies the lowest-ranked merge present, all its occurrences left to right, until none applies.</summary>
    private int[] MergePiece(byte[] bytes)
    {
        var symbols = new List<int>(bytes.Length);
        foreach (var b in bytes) symbols.Add(b);
        while (symbols.Count > 1)
        {
            var bestRank = int.MaxValue;
            for (var i = 0; i + 1 < symbols.Count; i++)
                if (_rankByPair.TryGetValue(PairKey(symbols[i], symbols[i + 1]), out var rank) && rank < bestRank)
                    bestRank = rank;
            if (bestRank == int.MaxValue) break;
            var (left, right) = _merges[bestRank];
            var write = 0;
            for (var read = 0; read < symbols.Count; read++, write++)
            {
                if (read + 1 < symbols.Count && symbols[read] == left && symbols[read + 1] == right)
                {
                    symbols[write] = 256 + bestRank;
                    read++;
                }
                else symbols[write] = symbols[read];
            }
            symbols.RemoveRange(write, symbols.Count - write);
        }
        return symbols.ToArray();
    }
}
