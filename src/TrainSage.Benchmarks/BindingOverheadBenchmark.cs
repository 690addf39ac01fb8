using System.Globalization;
using TrainSage.Torch;

namespace TrainSage.Benchmarks;

/// <summary>Settings of the binding-overhead benchmark.</summary>
/// <param name="CppProgramPath">native/bench/build/binding_overhead (scripts/bench-binding.sh builds it).</param>
/// <param name="Rounds">Measurements per side; the reported numbers are their medians. Many short rounds share
/// a busy machine's load between the two sides more evenly than a few long ones.</param>
/// <param name="TinyOpIterations">Tiny ops timed together in one measurement.</param>
/// <param name="MlpSteps">MLP training steps timed together in one measurement.</param>
/// <param name="Threads">libtorch CPU threads on both sides (1 gives the steadiest numbers).</param>
public sealed record BindingOverheadOptions(
    string CppProgramPath,
    int Rounds = 25,
    long TinyOpIterations = 100_000,
    long MlpSteps = 50,
    int Threads = 1)
{
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(CppProgramPath))
            throw new ArgumentException("the path of the C++ benchmark program (native/bench/build/binding_overhead) is required", nameof(CppProgramPath));
        if (Rounds < 1) throw new ArgumentOutOfRangeException(nameof(Rounds), Rounds, "at least one round is needed");
        if (TinyOpIterations < 1) throw new ArgumentOutOfRangeException(nameof(TinyOpIterations), TinyOpIterations, "must be positive");
        if (MlpSteps < 1) throw new ArgumentOutOfRangeException(nameof(MlpSteps), MlpSteps, "must be positive");
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "must be positive (1 for single-threaded ops)");
    }
}

/// <summary>One side's measurements, one per round in the order they were taken, and their medians.</summary>
public sealed record BindingOverheadSide(IReadOnlyList<TimingSample> TinyOp, IReadOnlyList<TimingSample> MlpStep)
{
    public double TinyOpNs => Median(TinyOp, s => s.Wall) * 1e9;
    public double TinyOpCpuNs => Median(TinyOp, s => s.Cpu) * 1e9;
    public double MlpStepUs => Median(MlpStep, s => s.Wall) * 1e6;
    public double MlpStepCpuUs => Median(MlpStep, s => s.Cpu) * 1e6;

    private static double Median(IReadOnlyList<TimingSample> samples, Func<TimingSample, double> value)
    {
        var sorted = samples.Select(value).Order().ToArray();
        var n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}

/// <summary>
/// Both sides of the benchmark. The tiny op is x.add(y) on [4] float tensors (ns per op); the MLP step is forward,
/// cross entropy, backward, AdamW step and zero_grad of a 256 -> 512 -> 256 -> 10 GELU MLP on a batch of 64 (us per
/// step). Wall-clock numbers are the headline; CPU-time numbers are the cross-check on a busy machine.
/// </summary>
public sealed record BindingOverheadResult(BindingOverheadOptions Options, BindingOverheadSide Cpp, BindingOverheadSide CSharp)
{
    /// <summary>The target: the C# MLP step within this factor of the C++ one (wall clock).</summary>
    public const double MlpRatioTarget = 1.15;

    public double TinyOpOverheadNs => CSharp.TinyOpNs - Cpp.TinyOpNs;
    public double TinyOpCpuOverheadNs => CSharp.TinyOpCpuNs - Cpp.TinyOpCpuNs;
    public double MlpRatio => CSharp.MlpStepUs / Cpp.MlpStepUs;
    public double MlpCpuRatio => CSharp.MlpStepCpuUs / Cpp.MlpStepCpuUs;
    public bool MeetsMlpTarget => MlpRatio <= MlpRatioTarget;
}

/// <summary>
/// Measures what the C# binding adds over libtorch: the same tiny op and MLP training step through
/// TrainSage.Torch in this process and written directly in C++ in native/bench/binding_overhead, whose rounds
/// alternate with ours (and which goes first in every other round) so that machine noise hits both sides alike.
/// </summary>
public static class BindingOverheadBenchmark
{
    /// <param name="progress">Receives one line per round.</param>
    public static BindingOverheadResult Run(BindingOverheadOptions options, Action<string>? progress = null)
    {
        options.Validate();
        ProcessClock.KeepFreedMemory();
        var previousThreads = torch.get_num_threads();
        torch.set_num_threads(options.Threads);
        try
        {
            using var cpp = new NativeBenchmarkProcess(options.CppProgramPath, options.Threads);
            using var tiny = new TinyOpWorkload();
            using var mlp = new MlpStepWorkload();
            List<TimingSample> cppTiny = [], csharpTiny = [], cppMlp = [], csharpMlp = [];

            // Round 0 is a warm-up on both sides (JIT tiering, allocator pools, AdamW's state) and is not kept.
            for (var round = 0; round <= options.Rounds; round++)
            {
                var cppFirst = round % 2 == 0;
                var (cppTinyOp, csharpTinyOp) = Alternate(cppFirst,
                    () => cpp.MeasureTinyOp(options.TinyOpIterations),
                    () => tiny.Measure(options.TinyOpIterations));
                var (cppMlpStep, csharpMlpStep) = Alternate(cppFirst,
                    () => cpp.MeasureMlpStep(options.MlpSteps),
                    () => mlp.Measure(options.MlpSteps));
                if (round == 0) continue;
                cppTiny.Add(cppTinyOp);
                csharpTiny.Add(csharpTinyOp);
                cppMlp.Add(cppMlpStep);
                csharpMlp.Add(csharpMlpStep);
                progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}/{options.Rounds}: tiny op C++ {cppTinyOp.Wall * 1e9:F0} ns, C# {csharpTinyOp.Wall * 1e9:F0} ns; MLP step C++ {cppMlpStep.Wall * 1e6:F0} us, C# {csharpMlpStep.Wall * 1e6:F0} us (CPU {cppMlpStep.Cpu * 1e6:F0} / {csharpMlpStep.Cpu * 1e6:F0} us)"));
            }
            return new BindingOverheadResult(options, new BindingOverheadSide(cppTiny, cppMlp), new BindingOverheadSide(csharpTiny, csharpMlp));
        }
        finally
        {
            torch.set_num_threads(previousThreads);
        }
    }

    private static (TimingSample Cpp, TimingSample CSharp) Alternate(bool cppFirst, Func<TimingSample> cpp, Func<TimingSample> csharp)
    {
        if (cppFirst)
        {
            var c = cpp();
            return (c, csharp());
        }
        var s = csharp();
        return (cpp(), s);
    }
}
