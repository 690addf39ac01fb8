using System.Runtime.InteropServices;

namespace TrainSage.Distributed;

/// <summary>
/// Wraps a rank's Main so that a failure anywhere ends the whole job promptly instead of leaving the other ranks
/// waiting in a collective forever: an exception escaping <c>main</c> (or any thread), a non-zero exit code, or
/// SIGTERM/SIGHUP becomes MPI_Abort with a message naming the rank, its host and the cause, and mpiexec then ends
/// every rank. A single process (no MPI running) just prints the message and returns the exit code.
/// On success MPI is finalised, which every rank of an MPI job must do before it exits.
/// </summary>
public static class RankFailureGuard
{
    public const int FailureExitCode = 1;

    public static int Run(Func<int> main)
    {
        using var handlers = new FailureHandlers();
        int exitCode;
        try
        {
            exitCode = main();
        }
        catch (Exception e)
        {
            return Fail($"failed with {e}", FailureExitCode);
        }
        return Finish(exitCode);
    }

    public static async Task<int> RunAsync(Func<Task<int>> main)
    {
        using var handlers = new FailureHandlers();
        int exitCode;
        try
        {
            exitCode = await main();
        }
        catch (Exception e)
        {
            return Fail($"failed with {e}", FailureExitCode);
        }
        return Finish(exitCode);
    }

    /// <summary>"rank 1 of 2 (host node7, pid 4242)", from MPI when it runs, else from the launcher's environment.</summary>
    public static string DescribeRank()
    {
        var launch = LaunchEnvironment.Detect();
        var (rank, size) = MpiProcessGroup.IsInitialized
            ? (Native.DistNativeMethods.ts_mpi_rank(), Native.DistNativeMethods.ts_mpi_size())
            : (launch.Rank, launch.WorldSize);
        return $"rank {rank} of {size} (host {Environment.MachineName}, pid {Environment.ProcessId})";
    }

    private static int Finish(int exitCode)
    {
        // A single process has already said why it failed; an MPI job must still end every other rank.
        if (exitCode != 0) return MpiProcessGroup.IsInitialized ? Fail($"exited with code {exitCode}", exitCode) : exitCode;
        MpiProcessGroup.Shutdown();
        return 0;
    }

    private static int Fail(string cause, int exitCode)
    {
        var message = $"TrainSage {DescribeRank()} {cause}";
        if (MpiProcessGroup.IsInitialized) MpiProcessGroup.AbortJob(message, exitCode);
        Console.Error.WriteLine(message);
        return exitCode;
    }

    /// <summary>Failures outside main's own call stack: other threads and termination signals.</summary>
    private sealed class FailureHandlers : IDisposable
    {
        private readonly PosixSignalRegistration[] signals;

        public FailureHandlers()
        {
            AppDomain.CurrentDomain.UnhandledException += OnUnhandledException;
            signals = [PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal)];
        }

        private static void OnUnhandledException(object sender, UnhandledExceptionEventArgs e) =>
            Fail($"failed on a background thread with {e.ExceptionObject}", FailureExitCode);

        // Only an MPI job needs the whole job ended; a single process keeps .NET's default handling (shutdown).
        private static void OnSignal(PosixSignalContext context)
        {
            // The shell's convention: 128 + the signal number (SIGHUP 1, SIGTERM 15).
            if (MpiProcessGroup.IsInitialized) Fail($"received {context.Signal}", context.Signal == PosixSignal.SIGTERM ? 143 : 129);
        }

        public void Dispose()
        {
            AppDomain.CurrentDomain.UnhandledException -= OnUnhandledException;
            foreach (var signal in signals) signal.Dispose();
        }
    }
}
