using System.Diagnostics;
using TrainSage.Training.Metrics;
using Xunit;

namespace TrainSage.Distributed.Tests;

/// <summary>A single trainsage process given SIGINT or SIGTERM finishes its step, writes a checkpoint and exits cleanly.</summary>
public sealed class StopSignalTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("trainsage-signal-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [SigintFact]
    public void Sigint_checkpoints_the_last_finished_step_and_exits_with_zero() => StopsCleanlyOn("INT");

    [Fact]
    public void Sigterm_checkpoints_the_last_finished_step_and_exits_with_zero() => StopsCleanlyOn("TERM");

    private void StopsCleanlyOn(string signal)
    {
        var recipe = DataParallelTrainingTests.WriteRecipe(root);
        var cli = Path.Combine(AppContext.BaseDirectory, "trainsage.dll");
        var start = new ProcessStartInfo(WorkerProcess.DotnetHost);
        foreach (var arg in new[] { cli, "pretrain", recipe, "--set", "name=signalled", "--set", "training.max_steps=100000", "--set", "checkpoint.interval=0" })
            start.ArgumentList.Add(arg);
        var metrics = Path.Combine(root, "runs", "signalled", MetricsLog.FileName);
        var result = WorkerProcess.Run(start, TimeSpan.FromMinutes(2), process =>
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromMinutes(1) && !(File.Exists(metrics) && File.ReadAllLines(metrics).Length >= 5)) Thread.Sleep(100);
            Process.Start("kill", [$"-{signal}", process.Id.ToString()])!.WaitForExit();
        });

        Assert.False(result.TimedOut, $"the run did not stop on SIG{signal}:\n" + result.Output);
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}:\n{result.Output}");
        var lastStep = MetricsLog.Read(Path.Combine(root, "runs", "signalled")).Last().Step;
        Assert.InRange(lastStep, 5, 99_999);
        Assert.True(Directory.Exists(Path.Combine(root, "runs", "signalled", "checkpoints", $"step-{lastStep:D6}")),
            $"no checkpoint of step {lastStep}:\n{result.Output}");
        Assert.Contains("resume with --resume", result.Output);
    }
}

/// <summary>
/// A fact that sends SIGINT to a child process; skipped, with the reason shown, where this process ignores SIGINT: a
/// non-interactive shell starts its background jobs so, the child inherits it, and (as in any POSIX program) an
/// inherited ignore stands. The SIGTERM test covers the same stop there.
/// </summary>
public sealed class SigintFactAttribute : FactAttribute
{
    public SigintFactAttribute()
    {
        if (SigintIgnored())
            Skip = "SIGINT is ignored in this process (a background job of a non-interactive shell) and the trainsage " +
                   "process would inherit that; run the tests in the foreground to cover it (SIGTERM's test covers the same stop)";
    }

    // /proc/self/status's SigIgn: a hex mask with bit (signal - 1) set for each ignored signal; SIGINT is 2.
    private static bool SigintIgnored()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return false;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0x2) != 0;
    }
}
