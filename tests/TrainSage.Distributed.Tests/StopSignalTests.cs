using System.Diagnostics;
using TrainSage.Training.Metrics;
using Xunit;

namespace TrainSage.Distributed.Tests;

/// <summary>A single trainsage process given SIGINT finishes its step, writes a checkpoint and exits cleanly.</summary>
public sealed class StopSignalTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("trainsage-signal-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Sigint_checkpoints_the_last_finished_step_and_exits_with_zero()
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
            Process.Start("kill", ["-INT", process.Id.ToString()])!.WaitForExit();
        });

        Assert.False(result.TimedOut, "the run did not stop on SIGINT:\n" + result.Output);
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}:\n{result.Output}");
        var lastStep = MetricsLog.Read(Path.Combine(root, "runs", "signalled")).Last().Step;
        Assert.InRange(lastStep, 5, 99_999);
        Assert.True(Directory.Exists(Path.Combine(root, "runs", "signalled", "checkpoints", $"step-{lastStep:D6}")),
            $"no checkpoint of step {lastStep}:\n{result.Output}");
        Assert.Contains("resume with --resume", result.Output);
    }
}
