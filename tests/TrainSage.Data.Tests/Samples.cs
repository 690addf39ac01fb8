namespace TrainSage.Data.Tests;

/// <summary>Test text: the opening of tinyshakespeare (public domain), shipped beside the tests.</summary>
internal static class Samples
{
    public static string Shakespeare { get; } = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "shakespeare-sample.txt"));

    /// <summary>Text in several scripts, with accents, CJK and emoji outside the Basic Multilingual Plane.</summary>
    public const string Multilingual = "Héllo wörld — naïve café. Ελληνικά, русский, 日本語のテキスト, 한국어! 🎉🚀 x² ∑ 𝐀\tend\n";
}
