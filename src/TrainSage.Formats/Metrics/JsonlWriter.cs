using System.Text.Json;
using System.Text.Json.Serialization;

namespace TrainSage.Formats.Metrics;

/// <summary>
/// Appends one JSON object per line to a file (JSON Lines), flushing each line to the operating system so a crash
/// loses at most the line being written. Not thread-safe.
/// </summary>
public sealed class JsonlWriter : IDisposable
{
    /// <summary>
    /// snake_case property names (train_loss, tokens_per_second) and NaN/Infinity written as the strings "NaN",
    /// "Infinity", "-Infinity": a diverging run's metrics must still be logged, which plain JSON numbers cannot hold.
    /// </summary>
    public static JsonSerializerOptions DefaultOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly FileStream file;
    private readonly JsonSerializerOptions options;

    /// <summary>
    /// Opens <paramref name="path"/> for appending (created if missing). If a crash left a partial last line,
    /// it is cut off first, so the file stays valid JSON Lines.
    /// </summary>
    public JsonlWriter(string path, JsonSerializerOptions? options = null)
    {
        Path = path;
        this.options = options ?? DefaultOptions;
        file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        file.SetLength(EndOfLastCompleteLine(file));
        file.Seek(0, SeekOrigin.End);
    }

    public string Path { get; }

    public void Write<T>(T record)
    {
        byte[] line = JsonSerializer.SerializeToUtf8Bytes(record, options);
        if (line.Length == 0 || line[0] != (byte)'{')
            throw new ArgumentException($"JSON Lines records for '{Path}' must serialize to JSON objects; {typeof(T).Name} does not.", nameof(record));
        file.Write(line);
        file.WriteByte((byte)'\n');
        file.Flush();
    }

    public void Dispose() => file.Dispose();

    private static long EndOfLastCompleteLine(FileStream file)
    {
        var buffer = new byte[4096];
        for (long end = file.Length; end > 0;)
        {
            int count = (int)Math.Min(buffer.Length, end);
            file.Seek(end - count, SeekOrigin.Begin);
            file.ReadExactly(buffer, 0, count);
            int newline = Array.LastIndexOf(buffer, (byte)'\n', count - 1);
            if (newline >= 0)
                return end - count + newline + 1;
            end -= count;
        }
        return 0;
    }
}
