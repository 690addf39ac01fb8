using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TrainSage.Benchmarks;

/// <summary>Time per unit of work, by the wall clock and by this process's CPU time (all its threads).</summary>
/// <remarks>Other processes on a busy machine inflate CPU time much less than wall time; on the C# side it includes the
/// runtime's own threads (JIT tiering, GC), which are part of what the binding costs.</remarks>
public readonly record struct TimingSample(double Wall, double Cpu);

/// <summary>Process-level settings and clocks of glibc that the benchmark needs on Linux.</summary>
internal static partial class ProcessClock
{
    private const int ClockProcessCpuTimeId = 2;
    private const int MallocTrimThreshold = -1, MallocMmapThreshold = -3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);

    private static double ProcessCpuSeconds()
    {
        if (ClockGetTime(ClockProcessCpuTimeId, out var t) != 0)
            throw new InvalidOperationException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    /// <summary>Runs <paramref name="work"/> and returns seconds per unit.</summary>
    public static TimingSample TimePerUnit(long units, Action<long> work)
    {
        var wallStart = Stopwatch.GetTimestamp();
        var cpuStart = ProcessCpuSeconds();
        work(units);
        var cpu = ProcessCpuSeconds() - cpuStart;
        return new TimingSample(Stopwatch.GetElapsedTime(wallStart).TotalSeconds / units, cpu / units);
    }

    /// <summary>
    /// Keeps freed memory in glibc's heap instead of trimming it and faulting it in again on the next step, as
    /// native/bench/binding_overhead.cpp does too: whether glibc trims depends on what else sits in the heap, an
    /// accident of the host process that must not count for or against the binding.
    /// </summary>
    public static void KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return;
        MallOpt(MallocTrimThreshold, 256 << 20);
        MallOpt(MallocMmapThreshold, 32 << 20);
    }
}
