namespace TrainSage.Data.Sampling;

/// <summary>
/// Which rows of a global batch one rank gets: rows [Rank * B / World, (Rank + 1) * B / World). Every rank
/// sees a slice of the same global batch, so the global batch does not depend on the world size.
/// </summary>
public readonly record struct RankSlice
{
    public RankSlice(int globalBatch, int rank, int worldSize)
    {
        if (worldSize < 1) throw new ArgumentOutOfRangeException(nameof(worldSize), worldSize, "The world size is at least 1.");
        if (rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"Rank must be in [0, {worldSize}) for world size {worldSize}.");
        if (globalBatch < 1) throw new ArgumentOutOfRangeException(nameof(globalBatch), globalBatch, "The batch has at least one row.");
        if (globalBatch % worldSize != 0)
            throw new ArgumentException(
                $"The global batch of {globalBatch} rows does not split evenly across {worldSize} ranks (every rank " +
                $"must get the same number of rows). Use a global batch that is a multiple of {worldSize}, such as " +
                $"{globalBatch / worldSize * worldSize + worldSize}, or a world size that divides {globalBatch}.",
                nameof(globalBatch));
        GlobalBatch = globalBatch;
        Rank = rank;
        WorldSize = worldSize;
    }

    public int GlobalBatch { get; }
    public int Rank { get; }
    public int WorldSize { get; }
    public int Rows => GlobalBatch / WorldSize;
    public int FirstRow => Rank * Rows;
}
