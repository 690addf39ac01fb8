using System.Text.Json;

namespace TrainSage.Data.Datasets;

/// <summary>
/// dataset.json: what <c>trainsage data prepare</c> produced and from what. Written last, so a folder with a
/// manifest holds a complete dataset. Shard names are relative to the dataset folder.
/// </summary>
public sealed record DatasetManifest(
    int FormatVersion,
    string TokenizerKind,
    int VocabSize,
    string TokenizerFile,
    string TokenizerFingerprint,
    DatasetSplit Train,
    DatasetSplit Val,
    string SplitMethod,
    double ValFraction,
    ulong Seed,
    long Documents,
    long Characters,
    IReadOnlyList<string> Sources)
{
    public const string FileName = "dataset.json";
    public const int CurrentFormatVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static DatasetManifest Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"'{directory}' holds no prepared dataset: {FileName} is missing (preparation never ran or was " +
                "interrupted). Run `trainsage data prepare` with this folder as the output.", path);
        try
        {
            var manifest = JsonSerializer.Deserialize<DatasetManifest>(File.ReadAllText(path), Json)
                           ?? throw new InvalidDataException("the file holds null.");
            if (manifest.FormatVersion != CurrentFormatVersion)
                throw new InvalidDataException($"format_version {manifest.FormatVersion} is not supported (this build reads {CurrentFormatVersion}).");
            return manifest;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"'{path}' is not a valid dataset manifest: {e.Message} Re-run `trainsage data prepare`.", e);
        }
    }

    /// <summary>Writes dataset.json atomically (temporary file, then rename).</summary>
    public void Write(string directory)
    {
        var path = Path.Combine(directory, FileName);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, Json) + "\n");
        File.Move(path + ".tmp", path, overwrite: true);
    }
}

/// <summary>One split's token count and shard files, in reading order.</summary>
public sealed record DatasetSplit(long Tokens, IReadOnlyList<string> Shards);
