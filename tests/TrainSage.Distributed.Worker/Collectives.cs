using TrainSage.Torch;

namespace TrainSage.Distributed.Worker;

/// <summary>All-reduce, broadcast and all-gather on CPU tensors, checked against values each rank can compute.</summary>
internal static class Collectives
{
    public static void Run(IProcessGroup group)
    {
        using var scope = torch.NewDisposeScope();
        var world = group.WorldSize;
        var rankSum = world * (world + 1) / 2.0;  // every rank contributes rank + 1

        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64, ScalarType.Int64, ScalarType.BFloat16 })
        {
            var t = torch.full([3, 5], group.Rank + 1, dtype);
            group.AllReduceSum(t);
            Expect.Equal(t.ToArray<double>(), rankSum, $"{dtype} sum");
        }

        var average = torch.full([7], group.Rank + 1);
        group.AllReduceAverage(average);
        Expect.Equal(average.ToArray<double>(), rankSum / world, "average");

        var max = torch.full([4], group.Rank + 1, ScalarType.Int64);
        group.AllReduce(max, ReduceOp.Max);
        Expect.Equal(max.ToArray<double>(), world, "max");

        // A transposed (non-contiguous) view is reduced through a staging copy and written back into the view.
        var strided = torch.full([4, 6], group.Rank + 1).transpose(0, 1);
        group.AllReduceSum(strided);
        Expect.Equal(strided.ToArray<double>(), rankSum, "non-contiguous sum");

        // A sum big enough to travel in many MPI messages of the transport.
        var large = torch.full([1 << 20], group.Rank + 1);
        group.AllReduceSum(large);
        Expect.Equal(large.ToArray<double>(), rankSum, "1M-element sum");

        var root = world - 1;
        var broadcast = torch.arange(10, ScalarType.Float32) * (group.Rank + 1);
        group.Broadcast(broadcast, root);
        Expect.That(broadcast.ToArray<float>().SequenceEqual(Enumerable.Range(0, 10).Select(i => (float)i * world)),
            $"broadcast from rank {root}: got [{string.Join(", ", broadcast.ToArray<float>())}]");

        var text = group.Broadcast(group.IsMain() ? "hash-from-rank-0 ✓" : "");
        Expect.That(text == "hash-from-rank-0 ✓", $"string broadcast: got '{text}'");

        var gathered = group.AllGather(torch.full([2], group.Rank, ScalarType.Int64)).ToArray<long>();
        var expected = Enumerable.Range(0, world).SelectMany(r => new long[] { r, r }).ToArray();
        Expect.That(gathered.SequenceEqual(expected), $"all-gather: got [{string.Join(", ", gathered)}]");

        var error = Record(() => group.Broadcast(torch.zeros([1]), world));
        Expect.That(error is ArgumentOutOfRangeException, $"a root outside the job must be refused, got {error?.GetType().Name ?? "no error"}");
        group.Barrier();
    }

    private static Exception? Record(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
