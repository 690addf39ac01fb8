namespace TrainSage.Data.Sampling;

/// <summary>
/// Counter-based randomness: a value is a hash of (seed, counters), so draw k is computed directly, without
/// replaying draws 0..k-1 (what makes sampler resume and rank sharding exact). SplitMix64's finalizer mixes.
/// </summary>
public static class CounterRng
{
    private const ulong Golden = 0x9E3779B97F4A7C15;

    public static ulong Hash(ulong seed, ulong a, ulong b) => Mix(Mix(Mix(seed + Golden) ^ (a + Golden)) ^ (b + Golden));

    /// <summary>A uniform integer in [0, bound) from a 64-bit hash (multiply-shift; bias below 2^-64 * bound).</summary>
    public static long Below(ulong hash, long bound) => (long)(ulong)(((UInt128)hash * (ulong)bound) >> 64);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
