namespace TrainSage.Cli.Commands;

/// <summary>What the report-writing verbs share: the command line they record, and their .json/.md pair.</summary>
internal static class ReportFiles
{
    /// <summary>This process's command line ("trainsage attention accuracy --output ..."), recorded in reports so that they can be re-run.</summary>
    public static string CommandLine => "trainsage " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));

    /// <summary>Writes <paramref name="path"/>.json and .md (path without extension), making the folder when it is missing.</summary>
    public static void WriteJsonAndMarkdown(string path, string json, string markdown)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path + ".json", json);
        File.WriteAllText(path + ".md", markdown);
    }
}
