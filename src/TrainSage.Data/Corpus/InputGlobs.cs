using System.Text;
using System.Text.RegularExpressions;

namespace TrainSage.Data.Corpus;

/// <summary>
/// Expands input patterns to files: '*' and '?' match within one path segment, '**' matches any number of
/// segments (data/**/*.md). A pattern without wildcards names one file. Each pattern must match something.
/// </summary>
public static class InputGlobs
{
    /// <summary>
    /// Files in pattern order (each pattern's matches sorted ordinally), without duplicates. Relative patterns
    /// are resolved against <paramref name="baseDirectory"/> (default: the current directory).
    /// </summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> patterns, string? baseDirectory = null)
    {
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pattern in patterns)
        {
            var matches = Match(Path.GetFullPath(pattern, baseDirectory ?? Directory.GetCurrentDirectory()));
            if (matches.Count == 0)
                throw new FileNotFoundException(
                    $"Input '{pattern}' matched no files. Check the path (relative paths start at " +
                    $"'{baseDirectory ?? Directory.GetCurrentDirectory()}'); '*' matches within a folder, '**' across folders.");
            files.AddRange(matches.Where(seen.Add));
        }
        return files;
    }

    private static List<string> Match(string fullPattern)
    {
        var segments = fullPattern.Split('/');
        var firstWild = Array.FindIndex(segments, segment => segment.IndexOfAny(['*', '?']) >= 0);
        if (firstWild < 0) return File.Exists(fullPattern) ? [fullPattern] : [];

        var root = string.Join('/', segments[..firstWild]);
        if (root.Length == 0) root = "/";
        if (!Directory.Exists(root)) return [];
        var rest = segments[firstWild..];
        var regex = new Regex("^" + ToRegex(rest) + "$", RegexOptions.CultureInvariant);
        var recursive = rest.Length > 1 || rest.Contains("**");
        return Directory
            .EnumerateFiles(root, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(file => regex.IsMatch(Path.GetRelativePath(root, file)))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static string ToRegex(string[] segments)
    {
        var regex = new StringBuilder();
        for (var i = 0; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            if (segments[i] == "**")
            {
                regex.Append(last ? ".*" : "(?:.*/)?");
                continue;
            }
            foreach (var c in segments[i])
                regex.Append(c switch { '*' => "[^/]*", '?' => "[^/]", _ => Regex.Escape(c.ToString()) });
            if (!last) regex.Append('/');
        }
        return regex.ToString();
    }
}
