using TrainSage.Data.Shards;

namespace TrainSage.Data.Sampling;

/// <summary>
/// Draws training batches: row r of step k is the window of SeqLen + 1 tokens starting at a position chosen
/// uniformly among all window starts of all shards by <see cref="CounterRng.Hash"/>(seed, k, r). This rank
/// gets rows <see cref="RankSlice"/> of that global batch, so the global batch (and the loss curve) is the
/// same for any world size, and any batch can be drawn directly, which makes resuming exact.
/// </summary>
public sealed class BatchSampler
{
    private readonly IReadOnlyList<TokenShard> _shards;
    private readonly ShardIndex _starts;
    private readonly RankSlice _slice;
    private readonly long _datasetTokens;

    public BatchSampler(IReadOnlyList<TokenShard> shards, int seqLen, int globalBatch, int rank, int worldSize, ulong seed)
    {
        if (seqLen < 1) throw new ArgumentOutOfRangeException(nameof(seqLen), seqLen, "The sequence length is at least 1.");
        _slice = new RankSlice(globalBatch, rank, worldSize);
        _shards = shards;
        // A window starting at s needs tokens s..s+seqLen, so a shard of n tokens has n - seqLen starts.
        _starts = new ShardIndex(shards.Select(shard => Math.Max(0, shard.TokenCount - seqLen)));
        _datasetTokens = shards.Sum(shard => shard.TokenCount);
        if (_starts.Total == 0)
            throw new ArgumentException(
                $"The training data has no window of seq_len + 1 = {seqLen + 1} tokens (its largest shard has " +
                $"{(shards.Count == 0 ? 0 : shards.Max(shard => shard.TokenCount))} tokens). Use a shorter seq_len or more data.",
                nameof(shards));
        SeqLen = seqLen;
        Seed = seed;
    }

    public int SeqLen { get; }
    public ulong Seed { get; }
    public int GlobalBatch => _slice.GlobalBatch;
    public int Rank => _slice.Rank;
    public int WorldSize => _slice.WorldSize;

    /// <summary>Rows this rank gets per batch: GlobalBatch / WorldSize.</summary>
    public int LocalRows => _slice.Rows;

    /// <summary>The next step <see cref="Next"/> draws.</summary>
    public long Step { get; private set; }

    /// <summary>Passes over the training tokens so far (windows are drawn with replacement, so this is an average).</summary>
    public double Epoch => (double)Step * GlobalBatch * SeqLen / _datasetTokens;

    public SamplerState State => new(Step, Seed, SeqLen, GlobalBatch, _datasetTokens);

    /// <summary>Continues from a checkpointed cursor; a state from a sampler with other batches is an error naming the field.</summary>
    public void Restore(SamplerState state)
    {
        Require(state.Seed == Seed, "seed", state.Seed, Seed);
        Require(state.SeqLen == SeqLen, "seq_len", state.SeqLen, SeqLen);
        Require(state.GlobalBatch == GlobalBatch, "global batch", state.GlobalBatch, GlobalBatch);
        Require(state.DatasetTokens == _datasetTokens, "training tokens", state.DatasetTokens, _datasetTokens);
        if (state.Step < 0) throw new ArgumentOutOfRangeException(nameof(state), state.Step, "A sampler step is never negative.");
        Step = state.Step;
    }

    /// <summary>This rank's rows of batch <see cref="Step"/>; then advances the cursor.</summary>
    public TokenBatch Next() => BatchAt(Step++);

    /// <summary>This rank's rows of batch <paramref name="step"/>, independent of the cursor.</summary>
    public TokenBatch BatchAt(long step) =>
        TokenBatch.Gather(_shards, SeqLen, LocalRows, row =>
        {
            var globalRow = (ulong)(_slice.FirstRow + row);
            return _starts.Locate(CounterRng.Below(CounterRng.Hash(Seed, (ulong)step, globalRow), _starts.Total));
        });

    private static void Require<T>(bool same, string field, T saved, T current)
    {
        if (!same)
            throw new ArgumentException(
                $"Cannot resume the data order: the checkpoint's sampler used {field} {saved} but this run has {current}, " +
                $"so it would draw different batches. Resume with the checkpoint's {field} and data, or start a new run.");
    }
}
