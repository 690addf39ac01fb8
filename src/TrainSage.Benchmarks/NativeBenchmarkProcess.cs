using System.Diagnostics;
using System.Globalization;

namespace TrainSage.Benchmarks;

/// <summary>
/// native/bench/binding_overhead running in --serve mode: one long-lived process that measures a round of the
/// tiny op or the MLP step each time it is asked, so that its rounds can alternate with the C# ones.
/// </summary>
internal sealed class NativeBenchmarkProcess : IDisposable
{
    private readonly Process process;

    public NativeBenchmarkProcess(string programPath, int threads)
    {
        if (!File.Exists(programPath))
            throw new FileNotFoundException(
                $"The C++ benchmark program was not found at '{programPath}'. Build it with scripts/bench-binding.sh, or with " +
                "`cmake -S native/bench -B native/bench/build && cmake --build native/bench/build`, and pass the path of " +
                "native/bench/build/binding_overhead.", programPath);
        var start = new ProcessStartInfo(programPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--serve");
        start.ArgumentList.Add("--threads");
        start.ArgumentList.Add(threads.ToString(CultureInfo.InvariantCulture));
        process = Process.Start(start) ?? throw new InvalidOperationException($"could not start '{programPath}'");
        var greeting = process.StandardOutput.ReadLine();
        if (greeting != "ready")
        {
            var failure = Failure("did not start", greeting);
            Dispose();
            throw failure;
        }
    }

    /// <summary>Seconds per tiny op over <paramref name="iterations"/> ops (the program answers in ns).</summary>
    public TimingSample MeasureTinyOp(long iterations) => Ask($"tiny {iterations}", 1e-9);

    /// <summary>Seconds per MLP step over <paramref name="steps"/> steps (the program answers in us).</summary>
    public TimingSample MeasureMlpStep(long steps) => Ask($"mlp {steps}", 1e-6);

    private TimingSample Ask(string command, double secondsPerUnit)
    {
        process.StandardInput.WriteLine(command);
        process.StandardInput.Flush();
        var answer = process.StandardOutput.ReadLine();
        var parts = answer?.Split(' ');
        if (parts is not { Length: 2 }
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var wall)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var cpu))
            throw Failure($"gave no measurement for '{command}'", answer);
        return new TimingSample(wall * secondsPerUnit, cpu * secondsPerUnit);
    }

    private InvalidOperationException Failure(string what, string? answer)
    {
        // Its standard error is not redirected: whatever libtorch reported is already on the console.
        var detail = answer ?? (process.WaitForExit(5000) ? $"exited with code {process.ExitCode}" : "no answer");
        return new InvalidOperationException($"the C++ benchmark program {what}: {detail}");
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.WriteLine("quit");
                process.StandardInput.Flush();
                if (!process.WaitForExit(10_000)) process.Kill();
            }
        }
        finally
        {
            process.Dispose();
        }
    }
}
