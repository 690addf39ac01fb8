using TrainSage.Torch;

namespace TrainSage.Distributed;

public sealed record DataParallelOptions(long BucketBytes = GradientBucketer.DefaultBucketBytes);

/// <summary>
/// How far each rank's parameters are from rank 0's: the largest absolute element difference per rank (rank 0's is
/// 0; NaN when a parameter holds NaN), and where the largest of all was found.
/// </summary>
public sealed record ParameterConsistency(IReadOnlyList<double> MaxAbsDifferenceByRank, int WorstRank, string WorstParameter)
{
    public double MaxAbsDifference => MaxAbsDifferenceByRank[WorstRank];

    /// <summary>The ranks whose difference exceeds <paramref name="tolerance"/> (NaN always does).</summary>
    public IReadOnlyList<int> RanksBeyond(double tolerance) =>
        Enumerable.Range(0, MaxAbsDifferenceByRank.Count).Where(r => !(MaxAbsDifferenceByRank[r] <= tolerance)).ToArray();
}

/// <summary>
/// Data parallelism over a model's parameters: the same start on every rank (broadcast from rank 0), gradients
/// averaged after every backward, and a check that the ranks still agree (at checkpoints). Every rank must call each
/// method at the same point of the training loop.
/// </summary>
public sealed class DataParallel : IDisposable
{
    private readonly Tensor[] parameters;
    private readonly string[] names;
    private readonly GradientBucketer bucketer;

    /// <param name="names">Parameter names for error messages (e.g. from named_parameters); defaults to indices.</param>
    public DataParallel(IProcessGroup group, IReadOnlyList<Tensor> parameters, IReadOnlyList<string>? names = null,
        DataParallelOptions? options = null)
    {
        if (names is not null && names.Count != parameters.Count)
            throw new ArgumentException($"{names.Count} names were given for {parameters.Count} parameters", nameof(names));
        Group = group;
        this.parameters = [.. parameters];
        this.names = names?.ToArray() ?? parameters.Select((p, i) => $"parameter {i} [{string.Join(", ", p.shape)}]").ToArray();
        bucketer = new GradientBucketer(group, parameters, (options ?? new DataParallelOptions()).BucketBytes);
    }

    public IProcessGroup Group { get; }

    /// <summary>The number of elements in each gradient bucket.</summary>
    public IReadOnlyList<long> BucketSizes => bucketer.BucketSizes;

    /// <summary>Copies <paramref name="root"/>'s parameters to every rank: call once before the first step.</summary>
    public void BroadcastParameters(int root = 0)
    {
        using var noGrad = torch.no_grad();
        foreach (var parameter in parameters) Group.Broadcast(parameter, root);
    }

    /// <summary>Averages the gradients over all ranks: call after backward, before the optimizer step.</summary>
    public void SynchronizeGradients() => bucketer.AllReduceGradients();

    /// <summary>Compares every rank's parameters with rank 0's (one broadcast of the model, a parameter at a time).</summary>
    public ParameterConsistency CheckParameters()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var local = new double[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var reference = parameters[i].detach().clone();
            Group.Broadcast(reference);
            local[i] = (parameters[i] - reference).abs().amax().item();
        }
        var all = Group.AllGather(torch.tensor(local, local.Length)).ToArray<double>();
        var byRank = new double[Group.WorldSize];
        var (worstRank, worstParameter) = (0, 0);
        for (var rank = 0; rank < Group.WorldSize; rank++)
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                var difference = all[rank * parameters.Length + i];
                if (Worse(difference, byRank[rank])) byRank[rank] = difference;
                if (Worse(difference, all[worstRank * parameters.Length + worstParameter])) (worstRank, worstParameter) = (rank, i);
            }
        }
        return new ParameterConsistency(byRank, worstRank, parameters.Length == 0 ? "(none)" : names[worstParameter]);
    }

    // NaN is the worst difference: a NaN parameter must never pass as consistent.
    private static bool Worse(double candidate, double current) =>
        double.IsNaN(candidate) ? !double.IsNaN(current) : candidate > current;

    /// <summary>Throws on every rank when any rank's parameters differ from rank 0's by more than <paramref name="tolerance"/>.</summary>
    public void EnsureParametersConsistent(double tolerance = 0)
    {
        var check = CheckParameters();
        var ranks = check.RanksBeyond(tolerance);
        if (ranks.Count == 0) return;
        throw new DistributedException(
            $"the parameters differ across ranks: rank(s) {string.Join(", ", ranks)} differ from rank 0 by up to " +
            $"{check.MaxAbsDifference:G6} (in {check.WorstParameter} on rank {check.WorstRank}; tolerance {tolerance:G6}). " +
            "Data-parallel ranks must apply identical updates: every rank must synchronise its gradients every step " +
            "and use the same optimizer settings and the same checkpoint.");
    }

    public void Dispose() => bucketer.Dispose();
}
