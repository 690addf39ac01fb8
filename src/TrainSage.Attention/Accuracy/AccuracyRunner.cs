using System.Diagnostics;
using TrainSage.Torch;

namespace TrainSage.Attention.Accuracy;

/// <summary>One row group of the report: a family run with a variant of the base sage8 options.</summary>
public sealed record AccuracyCase(InputFamily Family, string Variant, Func<Sage8Options, Sage8Options> Adjust)
{
    /// <summary>Families (a) to (d) with the base options, then the three ablations of issue 3.</summary>
    public static IReadOnlyList<AccuracyCase> Standard { get; } =
    [
        new(InputFamily.Gaussian, "default", o => o),
        new(InputFamily.KOffset, "default", o => o),
        new(InputFamily.Causal, "default", o => o),
        new(InputFamily.OutlierChannels, "default", o => o),
        new(InputFamily.KOffset, "no-k-smoothing", o => o with { SmoothK = false }),
        new(InputFamily.OutlierChannels, "int8-dov", o => o with { DoVPrecision = DoVPrecision.Int8 }),
        new(InputFamily.OutlierChannels, "per-block-vdo", o => o with { VdoScaling = VdoScaling.PerBlock }),
    ];
}

/// <summary>What the accuracy report covers. The CPU run may use fewer heads to finish in minutes.</summary>
public sealed record AccuracyOptions
{
    public IReadOnlyList<int> HeadDims { get; init; } = [64, 128];
    public IReadOnlyList<int> SeqLens { get; init; } = [256, 1024, 4096];
    public int Batch { get; init; } = 1;
    public int Heads { get; init; } = 2;
    public ulong Seed { get; init; } = 1234;
    public Device Device { get; init; } = Device.CPU;

    /// <summary>The "default" variant's options; the ablations change one field of it.</summary>
    public Sage8Options Sage8 { get; init; } = new();

    public IReadOnlyList<AccuracyCase> Cases { get; init; } = AccuracyCase.Standard;
}

/// <summary>Measures sage8 against the math backend (exact fp32) for every case, head dim and length.</summary>
public static class AccuracyRunner
{
    /// <param name="command">The command line that made the report, recorded in its header.</param>
    /// <param name="progress">Told about each (head dim, length, family) as it starts.</param>
    public static AccuracyReport Run(AccuracyOptions options, string command, Action<string>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var rows = new List<AccuracyRow>();
        var reference = new MathAttention();
        foreach (var headDim in options.HeadDims)
        foreach (var seqLen in options.SeqLens)
        foreach (var family in options.Cases.Select(c => c.Family).Distinct())
        {
            progress?.Invoke($"head_dim {headDim}, seq_len {seqLen}, {AttentionSample.NameOf(family)}");
            using var scope = torch.NewDisposeScope();
            var sample = AttentionSample.Create(family, options.Batch, options.Heads, seqLen, headDim, options.Seed, options.Device);
            var exact = AttentionResult.Compute(reference, sample);
            foreach (var @case in options.Cases.Where(c => c.Family == family))
            {
                using var caseScope = torch.NewDisposeScope();
                var sage8 = AttentionResult.Compute(new Sage8Attention(@case.Adjust(options.Sage8)), sample);
                var metrics = sage8.CompareTo(exact);
                for (var t = 0; t < metrics.Length; t++)
                    rows.Add(new AccuracyRow(AttentionSample.NameOf(family), @case.Variant, headDim, seqLen,
                        AttentionResult.TensorNames[t], metrics[t].Cosine, metrics[t].RelL1, metrics[t].RelL2));
            }
        }
        var (major, minor) = torch.libtorch_version();
        return new AccuracyReport(command, DescribeDevice(options.Device), $"{major}.{minor}", options.Batch, options.Heads,
            options.Seed, options.Sage8, DateTimeOffset.UtcNow, clock.Elapsed.TotalSeconds, rows);
    }

    private static string DescribeDevice(Device device) =>
        device.IsCuda ? device.ToString() : $"cpu ({Environment.ProcessorCount} cores)";
}
