using System.Diagnostics;
using System.Text;
using Xunit;

namespace TrainSage.Distributed.Tests;

/// <summary>The output of one run of TrainSage.Distributed.Worker (under mpiexec or alone), stdout and stderr merged.</summary>
public sealed record WorkerResult(int ExitCode, string Output, bool TimedOut);

/// <summary>Starts the worker (copied next to the tests) under mpiexec, or alone, and waits with a time limit.</summary>
internal static class WorkerProcess
{
    public static readonly string? Mpiexec = FindOnPath("mpiexec");

    /// <summary>Why the multi-process tests cannot run here, or null when they can.</summary>
    public static string? MpiSkipReason =>
        Mpiexec is null ? "mpiexec is not on PATH: install Open MPI (apt install openmpi-bin libopenmpi-dev) to run the multi-process tests"
        : !MpiProcessGroup.IsAvailable ? "libtrainsage_native was built without MPI: install libopenmpi-dev and rebuild native/ (delete native/build first)"
        : null;

    /// <summary>Runs `mpiexec -n ranks dotnet Worker.dll scenario`; on timeout kills the whole job.</summary>
    public static WorkerResult RunMpi(string scenario, int ranks, TimeSpan timeout) => Run(MpiStart(ranks, WorkerDll, [scenario]), timeout);

    /// <summary>`mpiexec -n ranks dotnet program args...`, set up to run anywhere CI does.</summary>
    public static ProcessStartInfo MpiStart(int ranks, string programDll, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Mpiexec!);
        // --oversubscribe: CI machines may have fewer cores than ranks; --bind-to none: let the ranks share them.
        foreach (var arg in new[] { "--oversubscribe", "--bind-to", "none", "-n", ranks.ToString(), DotnetHost, programDll }.Concat(args))
            start.ArgumentList.Add(arg);
        // Open MPI refuses to start as root unless told twice; CI containers often run as root.
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        start.Environment["OMP_NUM_THREADS"] = "1";  // two ranks on two cores: one libtorch thread each
        return start;
    }

    /// <summary>`dotnet program args...` as a single process.</summary>
    public static WorkerResult RunProgram(string programDll, IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(DotnetHost);
        foreach (var arg in new[] { programDll }.Concat(args)) start.ArgumentList.Add(arg);
        start.Environment["OMP_NUM_THREADS"] = "1";
        return Run(start, timeout);
    }

    public static WorkerResult Run(ProcessStartInfo start, TimeSpan timeout) => Run(start, timeout, onStarted: null);

    /// <summary>Runs the worker as a plain process with extra environment variables.</summary>
    public static WorkerResult RunAlone(string scenario, TimeSpan timeout, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(DotnetHost);
        start.ArgumentList.Add(WorkerDll);
        start.ArgumentList.Add(scenario);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return Run(start, timeout);
    }

    private static string WorkerDll => Path.Combine(AppContext.BaseDirectory, "TrainSage.Distributed.Worker.dll");

    // The SDK tells child processes which dotnet runs them.
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>Runs a process to its end (or the time limit); <paramref name="onStarted"/> may act on it while it runs.</summary>
    public static WorkerResult Run(ProcessStartInfo start, TimeSpan timeout, Action<Process>? onStarted)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;  // and closed: mpiexec must not read the test runner's stdin
        start.UseShellExecute = false;
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        onStarted?.Invoke(process);
        var exited = process.WaitForExit(timeout);
        if (!exited) process.Kill(entireProcessTree: true);
        process.WaitForExit();  // drains the redirected output
        lock (output) return new WorkerResult(exited ? process.ExitCode : -1, output.ToString(), !exited);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
}

/// <summary>A fact that needs mpiexec and an MPI-enabled shim; skipped, with the reason shown, where they are missing.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute() => Skip = WorkerProcess.MpiSkipReason;
}
