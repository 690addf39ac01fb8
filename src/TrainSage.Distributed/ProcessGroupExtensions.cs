using System.Text;
using TrainSage.Torch;

namespace TrainSage.Distributed;

public static class ProcessGroupExtensions
{
    public static bool IsMain(this IProcessGroup group) => group.Rank == 0;

    public static void AllReduceSum(this IProcessGroup group, Tensor tensor) => group.AllReduce(tensor, ReduceOp.Sum);

    public static void AllReduceAverage(this IProcessGroup group, Tensor tensor) => group.AllReduce(tensor, ReduceOp.Average);

    /// <summary>Returns <paramref name="root"/>'s string on every rank.</summary>
    public static string Broadcast(this IProcessGroup group, string value, int root = 0) =>
        Encoding.UTF8.GetString(group.Broadcast(Encoding.UTF8.GetBytes(value), root));

    /// <summary>
    /// Checks that every rank holds the same <paramref name="value"/> as rank 0 (a recipe hash, a dataset hash). On a
    /// mismatch every rank throws the same <see cref="DistributedException"/> naming the ranks that differ, so no
    /// rank is left waiting in a later collective.
    /// </summary>
    public static void EnsureSameOnAllRanks(this IProcessGroup group, string value, string what)
    {
        var reference = group.Broadcast(value);
        var ranks = group.RanksWhere(reference != value);
        if (ranks.Length == 0) return;
        throw new DistributedException(
            $"the {what} differs across ranks: rank{(ranks.Length > 1 ? "s" : "")} {string.Join(", ", ranks)} " +
            $"{(ranks.Length > 1 ? "have" : "has")} a different {what} from rank 0 ('{reference}'; rank {group.Rank} has " +
            $"'{value}'). Start every rank with the same {what}: the same recipe file and code on every machine.");
    }

    /// <summary>The ranks that passed true, in rank order; every rank gets the same list (one all-gather).</summary>
    internal static int[] RanksWhere(this IProcessGroup group, bool flagged)
    {
        using var scope = torch.NewDisposeScope();
        var flags = group.AllGather(torch.tensor(new long[] { flagged ? 1 : 0 }, 1)).ToArray<long>();
        return Enumerable.Range(0, flags.Length).Where(r => flags[r] != 0).ToArray();
    }
}
