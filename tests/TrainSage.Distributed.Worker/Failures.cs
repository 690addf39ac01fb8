namespace TrainSage.Distributed.Worker;

/// <summary>Ranks that disagree, and a rank that dies while the others wait in a collective.</summary>
internal static class Failures
{
    public static void RecipeMismatch(IProcessGroup group)
    {
        group.EnsureSameOnAllRanks("recipe-sha256-aaaa", "recipe hash");  // agreeing ranks pass
        try
        {
            group.EnsureSameOnAllRanks(group.Rank == 1 ? "recipe-sha256-bbbb" : "recipe-sha256-aaaa", "recipe hash");
        }
        catch (DistributedException e)
        {
            Console.WriteLine($"rank {group.Rank}: mismatch reported: {e.Message}");
            return;
        }
        throw new InvalidOperationException("different recipe hashes on rank 1 were not detected");
    }

    public static void ThrowOnRankOne(IProcessGroup group)
    {
        group.Barrier();
        if (group.Rank == 1) throw new InvalidOperationException("injected failure on purpose");
        Console.WriteLine($"rank {group.Rank}: waiting in a barrier that rank 1 never reaches");
        group.Barrier();
        throw new InvalidOperationException("the barrier returned although rank 1 failed");
    }
}
