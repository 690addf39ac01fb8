using System.Text.RegularExpressions;

namespace TrainSage.Data.Tokenizers;

/// <summary>
/// Splits text into the pieces BPE merges stay within, the way GPT-2 does: English contractions, runs of
/// letters or digits or other symbols (each with at most one leading space), and whitespace. Every character
/// of the input lands in exactly one piece, so concatenating the pieces gives the text back.
/// </summary>
public static partial class Pretokenizer
{
    // The final \s+(?!\S) keeps the last space of a whitespace run for the following word (" word").
    [GeneratedRegex(@"'(?:s|t|re|ve|m|ll|d)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex PiecePattern();

    /// <summary>The pieces of <paramref name="text"/> as (start, length) ranges, in order, without allocating.</summary>
    public static Regex.ValueMatchEnumerator Split(ReadOnlySpan<char> text) => PiecePattern().EnumerateMatches(text);
}
