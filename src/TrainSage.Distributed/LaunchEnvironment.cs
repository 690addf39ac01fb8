using System.Collections;

namespace TrainSage.Distributed;

/// <summary>
/// What the launcher told this process through its environment, readable before MPI starts (to name log files, to
/// pick the backend): Open MPI's mpiexec sets OMPI_COMM_WORLD_*, MPICH/Hydra sets PMI_*.
/// </summary>
public sealed record LaunchEnvironment(bool LaunchedByMpi, int Rank, int WorldSize, int LocalRank)
{
    public static LaunchEnvironment Single { get; } = new(false, 0, 1, 0);

    public static LaunchEnvironment Detect() => From(Environment.GetEnvironmentVariables());

    public static LaunchEnvironment From(IDictionary variables)
    {
        string? Get(string name) => variables[name] as string;
        var size = Get("OMPI_COMM_WORLD_SIZE") ?? Get("PMI_SIZE");
        if (size is null) return Single;
        var rank = Get("OMPI_COMM_WORLD_RANK") ?? Get("PMI_RANK") ?? "0";
        var localRank = Get("OMPI_COMM_WORLD_LOCAL_RANK") ?? Get("MPI_LOCALRANKID") ?? rank;
        return new LaunchEnvironment(true, Parse(rank, "rank"), Parse(size, "world size"), Parse(localRank, "local rank"));
    }

    private static int Parse(string text, string what) =>
        int.TryParse(text, out var value) && value >= 0
            ? value
            : throw new DistributedException($"the launcher set the {what} to '{text}', which is not a non-negative integer");
}
