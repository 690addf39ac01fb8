using System.Diagnostics;

namespace TrainSage.Formats.Tests;

/// <summary>A fresh folder under the system temp directory, deleted (permissions restored first) on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "trainsage-formats-" + Guid.NewGuid().ToString("N"));

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
            foreach (string dir in Directory.EnumerateDirectories(Path, "*", SearchOption.AllDirectories).Prepend(Path))
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(Path, recursive: true);
    }
}

/// <summary>A clock standing still at a given instant, so file names and wall times are predictable.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>A fact that needs permission checks to apply: root ignores chmod, so there the test is skipped, visibly.</summary>
internal sealed class UnprivilegedFactAttribute : FactAttribute
{
    public UnprivilegedFactAttribute()
    {
        if (OperatingSystem.IsWindows())
            Skip = "uses Unix permissions";
        else if (Environment.IsPrivilegedProcess)
            Skip = "running as root, which writes through chmod 0555; the not-a-directory and /dev/full tests cover unwritable locations instead";
    }
}

/// <summary>A fact that needs /dev/full, whose writes fail with ENOSPC: a real "disk full" error without filling a disk.</summary>
internal sealed class DiskFullFactAttribute : FactAttribute
{
    public DiskFullFactAttribute()
    {
        if (!File.Exists("/dev/full"))
            Skip = "/dev/full is not available (not Linux)";
    }
}

/// <summary>A cross-check against a Python package, skipped with the reason when python3 or the package is absent.</summary>
internal sealed class PythonModuleFactAttribute : FactAttribute
{
    public PythonModuleFactAttribute(string module)
    {
        var result = Python.Run($"import {module}");
        if (result.ExitCode != 0)
            Skip = $"python3 with the '{module}' package is not available (pip install {module} to run this cross-check): {result.Stderr.Trim()}";
    }
}

internal static class Python
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs a Python program with arguments; exit code -1 when python3 cannot start.</summary>
    public static Result Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(program);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return new Result(process.ExitCode, stdout, stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return new Result(-1, "", $"python3 could not be started ({ex.Message})");
        }
    }
}
