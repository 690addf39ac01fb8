using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using TrainSage.Distributed;

namespace TrainSage.Cli;

/// <summary>Serilog set-up shared by every verb: console (rank 0 only, unless verbose) and an optional per-run file.</summary>
public static class Logging
{
    /// <summary>The MPI rank from the launcher's environment (0 when not launched by mpiexec).</summary>
    public static int RankFromEnvironment() => LaunchEnvironment.Detect().Rank;

    public static Serilog.Core.Logger Create(int rank, string? logFile, bool consoleOnAllRanks = false)
    {
        // On a terminal the progress bar is redrawn in place on the last line: each log line first clears it.
        // (mpiexec gives ranks a pseudo-terminal, but the bar is never drawn there.)
        var clearBar = Console.IsOutputRedirected || LaunchEnvironment.Detect().LaunchedByMpi ? "" : "\u001b[2K\r";
        var template = clearBar + "[{Timestamp:HH:mm:ss} {Level:u3} rank {Rank}] {Message:lj}{NewLine}{Exception}";
        var config = new LoggerConfiguration()
            .MinimumLevel.Information()
            .Enrich.WithProperty("Rank", rank);
        if (rank == 0 || consoleOnAllRanks)
            config = config.WriteTo.Console(outputTemplate: template, standardErrorFromLevel: LogEventLevel.Error);
        if (logFile is not null)
            config = config.WriteTo.File(logFile, outputTemplate: "[{Timestamp:o} {Level:u3} rank {Rank}] {Message:lj}{NewLine}{Exception}");
        return config.CreateLogger();
    }

    /// <summary>A Generic Host builder whose logging goes through Serilog with the rank in every event.</summary>
    public static HostApplicationBuilder HostBuilder(Serilog.ILogger logger)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: false);
        return builder;
    }
}
