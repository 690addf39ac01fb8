using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TrainSage.Benchmarks;

/// <summary>Writes a <see cref="BindingOverheadResult"/> as docs/results/binding-overhead.json and .md.</summary>
public static class BindingOverheadReport
{
    /// <summary>The CPU model and the machine's number of logical CPUs, from /proc/cpuinfo where there is one.</summary>
    /// <remarks>Not Environment.ProcessorCount: the benchmark usually runs pinned to one core.</remarks>
    public static string DescribeMachine()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (!File.Exists(cpuInfo)) return $"{System.Runtime.InteropServices.RuntimeInformation.OSArchitecture}, {Environment.ProcessorCount} cores";
        var lines = File.ReadLines(cpuInfo).ToList();
        var model = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var cores = lines.Count(l => l.StartsWith("processor", StringComparison.Ordinal));
        return $"{model}, {cores} cores";
    }

    /// <param name="command">The command that produced the result, recorded so that it can be re-run.</param>
    public static string ToJson(BindingOverheadResult result, string machine, string command)
    {
        var report = new
        {
            machine,
            command,
            threads = result.Options.Threads,
            cpp_tiny_op_ns = Math.Round(result.Cpp.TinyOpNs, 1),
            csharp_tiny_op_ns = Math.Round(result.CSharp.TinyOpNs, 1),
            tiny_op_overhead_ns = Math.Round(result.TinyOpOverheadNs, 1),
            cpp_mlp_step_us = Math.Round(result.Cpp.MlpStepUs, 1),
            csharp_mlp_step_us = Math.Round(result.CSharp.MlpStepUs, 1),
            mlp_ratio = Math.Round(result.MlpRatio, 3),
            mlp_ratio_target = BindingOverheadResult.MlpRatioTarget,
            repeats = result.Options.Rounds,
            tiny_op_iterations_per_repeat = result.Options.TinyOpIterations,
            mlp_steps_per_repeat = result.Options.MlpSteps,
            cpu_time = new
            {
                cpp_tiny_op_ns = Math.Round(result.Cpp.TinyOpCpuNs, 1),
                csharp_tiny_op_ns = Math.Round(result.CSharp.TinyOpCpuNs, 1),
                tiny_op_overhead_ns = Math.Round(result.TinyOpCpuOverheadNs, 1),
                cpp_mlp_step_us = Math.Round(result.Cpp.MlpStepCpuUs, 1),
                csharp_mlp_step_us = Math.Round(result.CSharp.MlpStepCpuUs, 1),
                mlp_ratio = Math.Round(result.MlpCpuRatio, 3),
            },
            rounds = new
            {
                cpp_tiny_op_ns = Rounded(result.Cpp.TinyOp, s => s.Wall * 1e9),
                csharp_tiny_op_ns = Rounded(result.CSharp.TinyOp, s => s.Wall * 1e9),
                cpp_mlp_step_us = Rounded(result.Cpp.MlpStep, s => s.Wall * 1e6),
                csharp_mlp_step_us = Rounded(result.CSharp.MlpStep, s => s.Wall * 1e6),
                cpp_mlp_step_cpu_us = Rounded(result.Cpp.MlpStep, s => s.Cpu * 1e6),
                csharp_mlp_step_cpu_us = Rounded(result.CSharp.MlpStep, s => s.Cpu * 1e6),
            },
        };
        return JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    public static string ToMarkdown(BindingOverheadResult result, string machine, string command)
    {
        var o = result.Options;
        var ic = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine("# Binding overhead: C# (TrainSage.Torch) against the same work in C++ (libtorch)");
        s.AppendLine();
        s.AppendLine(ic, $"- Machine: {machine}");
        s.AppendLine(ic, $"- Command: `{command}`");
        s.AppendLine(ic, $"- libtorch CPU threads: {o.Threads} on both sides. {o.Rounds} rounds per side, C++ and C# alternating (the C++ program runs as a second process that the C# side drives); medians reported.");
        s.AppendLine(ic, $"- Tiny op: `x.add(y)` on two [4] float tensors, {o.TinyOpIterations:N0} per round; in C# each inside its own dispose scope.");
        s.AppendLine(ic, $"- MLP step: 256 -> 512 -> 256 -> 10 with GELU, batch 64, cross entropy, backward, libtorch AdamW step, zero_grad; {o.MlpSteps} steps per round; in C# with Linear modules, AdamW and a dispose scope per step.");
        s.AppendLine();
        s.AppendLine("| | C++ | C# | C# - C++ | C# / C++ |");
        s.AppendLine("|---|---|---|---|---|");
        Row(s, "tiny op, wall (ns)", result.Cpp.TinyOpNs, result.CSharp.TinyOpNs);
        Row(s, "tiny op, CPU time (ns)", result.Cpp.TinyOpCpuNs, result.CSharp.TinyOpCpuNs);
        Row(s, "MLP step, wall (us)", result.Cpp.MlpStepUs, result.CSharp.MlpStepUs);
        Row(s, "MLP step, CPU time (us)", result.Cpp.MlpStepCpuUs, result.CSharp.MlpStepCpuUs);
        s.AppendLine();
        s.AppendLine(ic, $"Target: the C# MLP step within {BindingOverheadResult.MlpRatioTarget}x of the C++ step (wall clock): {(result.MeetsMlpTarget ? "**met**" : "**not met**")}.");
        s.AppendLine();
        s.AppendLine("Wall clock is what the target is about. CPU time (all threads of each process, the .NET runtime's included) is the");
        s.AppendLine("cross-check: load from other processes stretches wall-clock rounds far more than it moves CPU time. Both sides");
        s.AppendLine("run the same libtorch and the same glibc malloc policy (no trimming), so what differs is the binding, plus noise that");
        s.AppendLine("the spread of the per-round values shows.");
        s.AppendLine("Per-round values are in binding-overhead.json (`rounds`).");
        return s.ToString();
    }

    private static void Row(StringBuilder s, string what, double cpp, double csharp) =>
        s.AppendLine(CultureInfo.InvariantCulture, $"| {what} | {cpp:F0} | {csharp:F0} | {csharp - cpp:F0} | {csharp / cpp:F3} |");

    /// <summary>One line for a console.</summary>
    public static string Summary(BindingOverheadResult r) => string.Create(CultureInfo.InvariantCulture,
        $"tiny op: C++ {r.Cpp.TinyOpNs:F0} ns, C# {r.CSharp.TinyOpNs:F0} ns (+{r.TinyOpOverheadNs:F0} ns); MLP step: C++ {r.Cpp.MlpStepUs:F0} us, C# {r.CSharp.MlpStepUs:F0} us, ratio {r.MlpRatio:F3} (target {BindingOverheadResult.MlpRatioTarget}: {(r.MeetsMlpTarget ? "met" : "not met")}; by CPU time {r.MlpCpuRatio:F3})");

    private static double[] Rounded(IReadOnlyList<TimingSample> samples, Func<TimingSample, double> value) =>
        samples.Select(s => Math.Round(value(s), 1)).ToArray();
}
