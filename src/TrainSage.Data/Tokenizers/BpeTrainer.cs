using System.Text;

namespace TrainSage.Data.Tokenizers;

/// <summary>
/// Learns byte-level BPE merges from text: counts pretokenizer pieces (<see cref="Add"/>), then repeatedly
/// merges the most frequent adjacent pair (<see cref="Build"/>). Pair counts are kept for the whole table and
/// updated only for the pieces that contain the merged pair, so a merge costs time proportional to those
/// pieces, not to the corpus. Ties go to the smallest (left, right) ids, so training is deterministic.
/// </summary>
public sealed class BpeTrainer : ITokenizerTrainer
{
    /// <summary>A pair seen once merges nothing useful: training stops before the target if no pair repeats.</summary>
    private const long MinPairCount = 2;

    private readonly Dictionary<string, long> _pieceCounts = new(StringComparer.Ordinal);
    private readonly int _vocabSize;

    /// <param name="vocabSize">
    /// Target vocabulary: 256 byte ids plus vocabSize - 256 merges. Training stops early when no pair occurs
    /// twice; then the tokenizer is smaller than asked (check its VocabSize).
    /// </param>
    public BpeTrainer(int vocabSize)
    {
        if (vocabSize < 256)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize,
                "A byte-level BPE vocabulary has at least the 256 byte tokens; set vocab_size to 256 or more.");
        _vocabSize = vocabSize;
    }

    public void Add(string text)
    {
        var counts = _pieceCounts.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var piece in Pretokenizer.Split(text))
        {
            var span = text.AsSpan(piece.Index, piece.Length);
            counts[span] = counts.TryGetValue(span, out var count) ? count + 1 : 1;
        }
    }

    ITokenizer ITokenizerTrainer.Build() => Build();

    /// <summary>Merges the most frequent pair until the target vocabulary size or until no pair repeats.</summary>
    public BpeTokenizer Build()
    {
        var table = new PieceTable(_pieceCounts);
        var merges = new List<(int Left, int Right)>(_vocabSize - 256);
        while (merges.Count < _vocabSize - 256 && table.TryTakeMostFrequentPair(MinPairCount, out var left, out var right))
        {
            table.Merge(left, right, newId: 256 + merges.Count);
            merges.Add((left, right));
        }
        return new BpeTokenizer(merges);
    }

    /// <summary>Distinct pieces as symbol sequences with their counts, and the pair statistics over them.</summary>
    private sealed class PieceTable
    {
        private readonly int[][] _symbols;
        private readonly int[] _lengths;
        private readonly long[] _counts;
        private readonly Dictionary<long, long> _pairCounts = new();
        // Pieces that contained the pair when it was counted; may hold pieces that no longer do (checked on use).
        private readonly Dictionary<long, HashSet<int>> _piecesByPair = new();
        // Max-heap by count, then smallest pair; entries whose count is out of date are skipped when popped.
        private readonly PriorityQueue<long, (long Count, long Pair)> _heap = new(Comparer<(long Count, long Pair)>.Create(
            (a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : a.Pair.CompareTo(b.Pair)));

        public PieceTable(Dictionary<string, long> pieceCounts)
        {
            // Ordinal order makes piece indices, hence everything below, independent of insertion order.
            var pieces = pieceCounts.OrderBy(entry => entry.Key, StringComparer.Ordinal).ToArray();
            _symbols = new int[pieces.Length][];
            _lengths = new int[pieces.Length];
            _counts = new long[pieces.Length];
            for (var p = 0; p < pieces.Length; p++)
            {
                var bytes = Encoding.UTF8.GetBytes(pieces[p].Key);
                _symbols[p] = Array.ConvertAll(bytes, b => (int)b);
                _lengths[p] = bytes.Length;
                _counts[p] = pieces[p].Value;
                for (var i = 0; i + 1 < bytes.Length; i++) AddPair(p, _symbols[p][i], _symbols[p][i + 1], _counts[p]);
            }
            foreach (var (pair, count) in _pairCounts) _heap.Enqueue(pair, (count, pair));
        }

        public bool TryTakeMostFrequentPair(long minCount, out int left, out int right)
        {
            while (_heap.TryDequeue(out var pair, out var entry))
            {
                if (!_pairCounts.TryGetValue(pair, out var count) || count != entry.Count) continue;
                if (count < minCount) break;
                left = (int)(pair >> 32);
                right = (int)(uint)pair;
                return true;
            }
            left = right = -1;
            return false;
        }

        /// <summary>Replaces (left, right) by newId in every piece, left to right, and updates pair counts.</summary>
        public void Merge(int left, int right, int newId)
        {
            var mergedPair = BpeTokenizer.PairKey(left, right);
            var changed = new HashSet<long>();
            foreach (var p in _piecesByPair[mergedPair])
            {
                if (!Contains(p, left, right)) continue;
                ForEachPair(p, (a, b) => { AddPair(p, a, b, -_counts[p]); changed.Add(BpeTokenizer.PairKey(a, b)); });
                Replace(p, left, right, newId);
                ForEachPair(p, (a, b) => { AddPair(p, a, b, _counts[p]); changed.Add(BpeTokenizer.PairKey(a, b)); });
            }
            _piecesByPair.Remove(mergedPair);
            _pairCounts.Remove(mergedPair);
            changed.Remove(mergedPair);
            foreach (var pair in changed)
                if (_pairCounts.TryGetValue(pair, out var count)) _heap.Enqueue(pair, (count, pair));
        }

        private void AddPair(int piece, int a, int b, long delta)
        {
            var pair = BpeTokenizer.PairKey(a, b);
            var count = _pairCounts.GetValueOrDefault(pair) + delta;
            if (count == 0) _pairCounts.Remove(pair);
            else _pairCounts[pair] = count;
            if (delta > 0)
            {
                if (!_piecesByPair.TryGetValue(pair, out var pieces)) _piecesByPair[pair] = pieces = [];
                pieces.Add(piece);
            }
        }

        private void ForEachPair(int p, Action<int, int> visit)
        {
            var symbols = _symbols[p];
            for (var i = 0; i + 1 < _lengths[p]; i++) visit(symbols[i], symbols[i + 1]);
        }

        private bool Contains(int p, int left, int right)
        {
            var symbols = _symbols[p];
            for (var i = 0; i + 1 < _lengths[p]; i++)
                if (symbols[i] == left && symbols[i + 1] == right) return true;
            return false;
        }

        private void Replace(int p, int left, int right, int newId)
        {
            var symbols = _symbols[p];
            var write = 0;
            for (var read = 0; read < _lengths[p]; read++, write++)
            {
                if (read + 1 < _lengths[p] && symbols[read] == left && symbols[read + 1] == right)
                {
                    symbols[write] = newId;
                    read++;
                }
                else symbols[write] = symbols[read];
            }
            _lengths[p] = write;
        }
    }
}
