using System.Text.Json;

namespace TrainSage.Formats.Checkpoints;

/// <summary>One file of a checkpoint: its path relative to the checkpoint folder ('/'-separated), size and SHA-256.</summary>
public sealed record CheckpointManifestEntry(string Path, long Bytes, string Sha256);

/// <summary>
/// <c>manifest.json</c> in a checkpoint folder: every other file in it with its size and SHA-256, so a loader can tell
/// a complete, intact checkpoint from a truncated or bit-rotten one before it reads anything.
/// </summary>
public sealed record CheckpointManifest(int Version, IReadOnlyList<CheckpointManifestEntry> Files)
{
    public const string FileName = "manifest.json";
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    /// <summary>Hashes every file under <paramref name="directory"/> except the manifest itself.</summary>
    public static CheckpointManifest Compute(string directory)
    {
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Select(path => (Full: path, Relative: Path.GetRelativePath(directory, path).Replace('\\', '/')))
            .Where(f => f.Relative != FileName)
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .Select(f => new CheckpointManifestEntry(f.Relative, new FileInfo(f.Full).Length, FileChecksum.Sha256Hex(f.Full)))
            .ToList();
        return new CheckpointManifest(CurrentVersion, files);
    }

    public void Save(string directory) =>
        File.WriteAllBytes(Path.Combine(directory, FileName), JsonSerializer.SerializeToUtf8Bytes(this, Json));

    /// <summary>Reads the manifest; a missing or unreadable one throws <see cref="CorruptCheckpointException"/>.</summary>
    public static CheckpointManifest Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new CorruptCheckpointException(directory, [$"{FileName} is missing (the checkpoint was never completely written)"]);
        CheckpointManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException ex)
        {
            throw new CorruptCheckpointException(directory, [$"{FileName} is not valid JSON ({ex.Message})"]);
        }
        if (manifest?.Files is null || manifest.Files.Any(f => f?.Path is null || f.Sha256 is null))
            throw new CorruptCheckpointException(directory, [$"{FileName} has no file list or an entry without path or sha256"]);
        if (manifest.Version != CurrentVersion)
            throw new CorruptCheckpointException(directory,
                [$"{FileName} has version {manifest.Version}; this TrainSage reads version {CurrentVersion}"]);
        return manifest;
    }

    /// <summary>
    /// Checks every listed file against its size and SHA-256 and throws <see cref="CorruptCheckpointException"/>
    /// naming all that are missing, truncated or changed. Files not listed are ignored.
    /// </summary>
    public static CheckpointManifest Verify(string directory)
    {
        directory = Path.GetFullPath(directory);
        var manifest = Load(directory);
        var problems = new List<string>();
        foreach (var entry in manifest.Files)
        {
            string path = Path.GetFullPath(Path.Combine(directory, entry.Path));
            if (!path.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                problems.Add($"{entry.Path}: listed path leaves the checkpoint folder");
            else if (!File.Exists(path))
                problems.Add($"{entry.Path}: missing");
            else if (new FileInfo(path).Length is var length && length != entry.Bytes)
                problems.Add($"{entry.Path}: {length} bytes, the manifest says {entry.Bytes} (truncated or overwritten)");
            else if (FileChecksum.Sha256Hex(path) is var actual && !actual.Equals(entry.Sha256, StringComparison.OrdinalIgnoreCase))
                problems.Add($"{entry.Path}: SHA-256 {actual} does not match the manifest's {entry.Sha256} (contents changed)");
        }
        if (problems.Count > 0)
            throw new CorruptCheckpointException(directory, problems);
        return manifest;
    }
}
