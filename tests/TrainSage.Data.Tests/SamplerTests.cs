using TrainSage.Data.Sampling;
using TrainSage.Data.Shards;

namespace TrainSage.Data.Tests;

/// <summary>
/// Shards hold consecutive ids (shard i holds first_i, first_i + 1, ...), so a window's tokens reveal where it
/// starts and whether it crossed a shard boundary.
/// </summary>
public sealed class SamplerTests : IDisposable
{
    private const int VocabSize = 100_000;
    private readonly TempDirectory _folder = new();
    private readonly List<TokenShard> _shards = [];

    public void Dispose()
    {
        foreach (var shard in _shards) shard.Dispose();
        _folder.Dispose();
    }

    private IReadOnlyList<TokenShard> Shards(params int[] lengths)
    {
        var first = 0;
        var shards = new List<TokenShard>();
        foreach (var length in lengths)
        {
            var path = _folder[$"shard{_shards.Count}.bin"];
            ShardWriter.WriteAll(path, Enumerable.Range(first, length).ToArray(), VocabSize, new string('0', 64));
            var shard = TokenShard.Open(path);
            _shards.Add(shard);
            shards.Add(shard);
            first += length;
        }
        return shards;
    }

    private static void AssertSameBatch(TokenBatch expected, TokenBatch actual)
    {
        Assert.Equal(expected.Inputs, actual.Inputs);
        Assert.Equal(expected.Targets, actual.Targets);
        Assert.Equal(expected.Rows, actual.Rows);
    }

    private static TokenBatch Concatenate(IEnumerable<TokenBatch> parts)
    {
        var list = parts.ToList();
        return new TokenBatch(list.SelectMany(b => b.Inputs).ToArray(), list.SelectMany(b => b.Targets).ToArray(),
            list.Sum(b => b.Rows), list[0].SeqLen);
    }

    [Fact]
    public void Rows_are_contiguous_windows_within_one_shard_with_targets_shifted_by_one()
    {
        var shards = Shards(300, 50, 1000);
        var sampler = new BatchSampler(shards, seqLen: 16, globalBatch: 8, rank: 0, worldSize: 1, seed: 7);

        for (var step = 0; step < 50; step++)
        {
            var batch = sampler.Next();
            Assert.Equal(8 * 16, batch.Inputs.Length);
            for (var row = 0; row < batch.Rows; row++)
            {
                var start = batch.Inputs[row * 16];
                var window = Enumerable.Range(start, 17).ToArray();
                Assert.Equal(window[..16], batch.Inputs.AsSpan(row * 16, 16).ToArray());
                Assert.Equal(window[1..], batch.Targets.AsSpan(row * 16, 16).ToArray());
                // Shards cover [0, 300), [300, 350), [350, 1350): a window never spans two of them.
                Assert.True(start + 16 < 300 || (start >= 300 && start + 16 < 350) || start >= 350, $"window at {start} crosses a shard");
            }
        }
    }

    [Fact]
    public void Every_window_start_of_every_shard_gets_drawn()
    {
        // 20 + 30 tokens with seq_len 4: 16 + 26 possible starts.
        var shards = Shards(20, 30);
        var sampler = new BatchSampler(shards, seqLen: 4, globalBatch: 10, rank: 0, worldSize: 1, seed: 3);
        var starts = new HashSet<int>();
        for (var step = 0; step < 100; step++)
        {
            var batch = sampler.Next();
            for (var row = 0; row < batch.Rows; row++) starts.Add(batch.Inputs[row * 4]);
        }

        Assert.Equal(Enumerable.Range(0, 16).Concat(Enumerable.Range(20, 26)), starts.Order());
    }

    [Fact]
    public void The_same_seed_draws_the_same_batches_and_another_seed_others()
    {
        var shards = Shards(5000);
        var first = new BatchSampler(shards, 32, 4, 0, 1, seed: 11);
        var again = new BatchSampler(shards, 32, 4, 0, 1, seed: 11);
        var other = new BatchSampler(shards, 32, 4, 0, 1, seed: 12);

        for (var step = 0; step < 5; step++)
        {
            var batch = first.Next();
            AssertSameBatch(batch, again.Next());
            Assert.NotEqual(batch.Inputs, other.Next().Inputs);
        }
    }

    [Fact]
    public void Batch_k_can_be_drawn_directly()
    {
        var sampler = new BatchSampler(Shards(5000), 32, 4, 0, 1, seed: 5);
        var drawn = Enumerable.Range(0, 6).Select(_ => sampler.Next()).ToList();

        AssertSameBatch(drawn[5], sampler.BatchAt(5));
        AssertSameBatch(drawn[2], sampler.BatchAt(2));
        Assert.Equal(6, sampler.Step);
    }

    [Fact]
    public void A_restored_sampler_continues_with_the_same_batches()
    {
        var shards = Shards(5000);
        var original = new BatchSampler(shards, 32, 8, 0, 1, seed: 9);
        for (var step = 0; step < 5; step++) original.Next();
        var saved = original.State;

        var resumed = new BatchSampler(shards, 32, 8, 0, 1, seed: 9);
        resumed.Restore(saved);

        Assert.Equal(5, resumed.Step);
        for (var step = 0; step < 3; step++) AssertSameBatch(original.Next(), resumed.Next());
    }

    [Fact]
    public void Restoring_a_state_with_another_seed_names_the_field()
    {
        var shards = Shards(5000);
        var state = new BatchSampler(shards, 32, 8, 0, 1, seed: 9).State;
        var other = new BatchSampler(shards, 32, 8, 0, 1, seed: 10);

        var error = Assert.Throws<ArgumentException>(() => other.Restore(state));
        Assert.Contains("seed 9 but this run has 10", error.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(12)]
    public void The_ranks_rows_concatenate_to_the_single_process_batch(int worldSize)
    {
        var shards = Shards(700, 2000);
        var single = new BatchSampler(shards, 8, 12, 0, 1, seed: 21);
        var ranks = Enumerable.Range(0, worldSize).Select(rank => new BatchSampler(shards, 8, 12, rank, worldSize, seed: 21)).ToList();

        Assert.All(ranks, rank => Assert.Equal(12 / worldSize, rank.LocalRows));
        for (var step = 0; step < 4; step++)
            AssertSameBatch(single.Next(), Concatenate(ranks.Select(rank => rank.Next())));
    }

    [Fact]
    public void A_world_size_that_does_not_divide_the_global_batch_is_an_error()
    {
        var shards = Shards(1000);
        var error = Assert.Throws<ArgumentException>(() => new BatchSampler(shards, 8, 10, 0, 4, seed: 1));
        Assert.Contains("global batch of 10 rows does not split evenly across 4 ranks", error.Message);
        Assert.Contains("multiple of 4, such as 12", error.Message);
    }

    [Fact]
    public void Data_shorter_than_one_window_is_an_error()
    {
        var error = Assert.Throws<ArgumentException>(() => new BatchSampler(Shards(10, 16), 16, 2, 0, 1, seed: 1));
        Assert.Contains("no window of seq_len + 1 = 17 tokens", error.Message);
    }

    [Fact]
    public void Evaluation_windows_are_consecutive_and_the_same_for_any_world_size()
    {
        // 100 tokens with seq_len 10: windows start at 0, 10, ..., 80 (9 windows, each needs 11 tokens).
        var shards = Shards(100, 45);
        var single = new EvaluationBatches(shards, seqLen: 10, globalBatch: 4, rank: 0, worldSize: 1);
        var halves = Enumerable.Range(0, 2).Select(rank => new EvaluationBatches(shards, 10, 4, rank, 2).ToList()).ToList();

        // 9 + 4 windows make 3 whole batches of 4; the last window is left out.
        Assert.Equal(3, single.Count);
        var starts = single.SelectMany(batch => Enumerable.Range(0, batch.Rows).Select(row => batch.Inputs[row * 10])).ToArray();
        Assert.Equal([0, 10, 20, 30, 40, 50, 60, 70, 80, 100, 110, 120], starts);
        var batches = single.ToList();
        for (var i = 0; i < batches.Count; i++) AssertSameBatch(batches[i], Concatenate([halves[0][i], halves[1][i]]));
    }

    [Fact]
    public void Evaluation_can_be_limited_to_the_first_batches()
    {
        var batches = new EvaluationBatches(Shards(1000), 10, 4, 0, 1, maxBatches: 2);
        Assert.Equal(2, batches.Count);
        Assert.Equal(2, batches.Count());
    }

    [Fact]
    public void An_evaluation_split_smaller_than_one_batch_is_an_error()
    {
        var error = Assert.Throws<ArgumentException>(() => new EvaluationBatches(Shards(30), 10, 4, 0, 1));
        Assert.Contains("has 2 windows", error.Message);
    }
}
