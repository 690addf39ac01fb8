using System.Collections;
using TrainSage.Data.Shards;

namespace TrainSage.Data.Sampling;

/// <summary>
/// Fixed evaluation batches over a split: consecutive windows (window j of a shard starts at j * SeqLen, inputs
/// never overlap), grouped in order into global batches, this rank taking its <see cref="RankSlice"/> rows.
/// Only whole global batches are used, so every run and every world size evaluates the same windows.
/// </summary>
public sealed class EvaluationBatches : IReadOnlyCollection<TokenBatch>
{
    private readonly IReadOnlyList<TokenShard> _shards;
    private readonly ShardIndex _windows;
    private readonly RankSlice _slice;
    private readonly int _seqLen;

    /// <param name="maxBatches">Use at most this many batches (the first ones); null for all whole batches.</param>
    public EvaluationBatches(IReadOnlyList<TokenShard> shards, int seqLen, int globalBatch, int rank, int worldSize, int? maxBatches = null)
    {
        if (seqLen < 1) throw new ArgumentOutOfRangeException(nameof(seqLen), seqLen, "The sequence length is at least 1.");
        if (maxBatches < 1) throw new ArgumentOutOfRangeException(nameof(maxBatches), maxBatches, "Evaluate at least one batch.");
        _slice = new RankSlice(globalBatch, rank, worldSize);
        _shards = shards;
        _seqLen = seqLen;
        _windows = new ShardIndex(shards.Select(shard => Math.Max(0, (shard.TokenCount - 1) / seqLen)));
        var wholeBatches = _windows.Total / globalBatch;
        if (wholeBatches == 0)
            throw new ArgumentException(
                $"The evaluation split has {_windows.Total} windows of seq_len + 1 = {seqLen + 1} tokens, fewer than one " +
                $"batch of {globalBatch}. Use a smaller evaluation batch, a shorter seq_len, or a larger val_fraction.",
                nameof(shards));
        Count = (int)Math.Min(wholeBatches, maxBatches ?? int.MaxValue);
    }

    /// <summary>Number of batches each rank iterates.</summary>
    public int Count { get; }

    public IEnumerator<TokenBatch> GetEnumerator()
    {
        for (var batch = 0; batch < Count; batch++)
        {
            var firstWindow = (long)batch * _slice.GlobalBatch + _slice.FirstRow;
            yield return TokenBatch.Gather(_shards, _seqLen, _slice.Rows, row =>
            {
                var (shard, window) = _windows.Locate(firstWindow + row);
                return (shard, window * _seqLen);
            });
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
