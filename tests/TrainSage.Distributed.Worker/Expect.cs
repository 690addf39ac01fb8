namespace TrainSage.Distributed.Worker;

/// <summary>A failed expectation ends the job through RankFailureGuard, naming the rank and what was wrong.</summary>
internal static class Expect
{
    public static void That(bool condition, string what)
    {
        if (!condition) throw new InvalidOperationException($"expectation failed: {what}");
    }

    public static void Equal(double[] actual, double expected, string what) =>
        That(actual.All(v => v == expected), $"{what}: expected every element {expected}, got [{string.Join(", ", actual.Distinct())}]");
}
