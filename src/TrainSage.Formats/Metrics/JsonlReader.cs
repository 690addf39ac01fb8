using System.Text.Json;

namespace TrainSage.Formats.Metrics;

/// <summary>Reads JSON Lines written by <see cref="JsonlWriter"/>; blank lines are skipped.</summary>
public static class JsonlReader
{
    /// <summary>Each line as <typeparamref name="T"/>; a malformed line throws naming the file and line number.</summary>
    public static IReadOnlyList<T> Read<T>(string path, JsonSerializerOptions? options = null)
    {
        options ??= JsonlWriter.DefaultOptions;
        var records = new List<T>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            try
            {
                records.Add(JsonSerializer.Deserialize<T>(line, options)
                    ?? throw new JsonException("the line is JSON null, not an object"));
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"'{path}' line {lineNumber} is not a valid {typeof(T).Name} record: {ex.Message}", ex);
            }
        }
        return records;
    }
}
