using Microsoft.Extensions.Logging;
using Spectre.Console;
using TrainSage.Distributed;
using TrainSage.Training;
using TrainSage.Training.Metrics;

namespace TrainSage.Cli;

/// <summary>Shows training progress: a live bar on an interactive terminal, plain log lines when output is redirected.</summary>
public static class ProgressObserver
{
    public static ITrainingObserver Create(ILogger logger, int logInterval) =>
        !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && !LaunchEnvironment.Detect().LaunchedByMpi
            ? new BarObserver()
            : new LogLineObserver(logger, logInterval);

    private sealed class LogLineObserver(ILogger logger, int interval) : ITrainingObserver
    {
        private long maxSteps;

        public void OnStart(long firstStep, long maxSteps) => this.maxSteps = maxSteps;

        public void OnStep(MetricsRecord r)
        {
            if (r.Step % interval != 0 && r.ValLoss is null && r.Step != maxSteps) return;
            logger.LogInformation("step {Step}/{Max} loss {Loss:F4}{Val} lr {Lr:E2} grad norm {GradNorm:F3} {TokensPerS:N0} tok/s",
                r.Step, maxSteps, r.TrainLoss, r.ValLoss is { } v ? $" val {v:F4}" : "", r.Lr, r.GradNorm, r.TokensPerS);
        }
    }

    /// <summary>A single-line bar redrawn in place: step, loss, tokens/s and ETA.</summary>
    private sealed class BarObserver : ITrainingObserver
    {
        private long first, max;
        private readonly System.Diagnostics.Stopwatch clock = new();

        public void OnStart(long firstStep, long maxSteps)
        {
            (first, max) = (firstStep, maxSteps);
            clock.Start();
        }

        public void OnStep(MetricsRecord r)
        {
            var done = (double)(r.Step - first) / Math.Max(1, max - first);
            var eta = done > 0 ? TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds * (1 - done) / done) : TimeSpan.Zero;
            var width = 30;
            var filled = (int)(done * width);
            var bar = new string('#', filled) + new string('.', width - filled);
            var val = r.ValLoss is { } v ? $" val {v:F4}" : "";
            AnsiConsole.Markup($"\r[green]{bar}[/] step {r.Step}/{max} loss {r.TrainLoss:F4}{Markup.Escape(val)} {r.TokensPerS:N0} tok/s ETA {eta:hh\\:mm\\:ss}   ");
            if (r.Step == max || r.ValLoss is not null) AnsiConsole.WriteLine();
        }
    }
}
