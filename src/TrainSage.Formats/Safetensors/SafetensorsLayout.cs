using System.Text.Encodings.Web;
using System.Text.Json;

namespace TrainSage.Formats.Safetensors;

/// <summary>
/// The header: 8-byte little-endian length N, then N bytes of UTF-8 JSON mapping each tensor name to
/// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data section), plus an optional
/// "__metadata__" string map; the writer pads the JSON with spaces so the data section starts 8-byte aligned.
/// </summary>
internal static class SafetensorsLayout
{
    public const string MetadataKey = "__metadata__";

    /// <summary>Hugging Face refuses headers above 100 MB; so do we, which also bounds what a corrupt length can make us read.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    // serde_json (Hugging Face's writer) escapes only quotes, backslashes and control characters; match it.
    private static readonly JsonWriterOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static long ElementCount(IReadOnlyList<long> shape)
    {
        long count = 1;
        foreach (long dim in shape)
        {
            if (dim < 0)
                throw new ArgumentException($"shape [{string.Join(", ", shape)}] has a negative dimension");
            count = checked(count * dim);
        }
        return count;
    }

    /// <summary>Hugging Face's order: largest alignment first (its dtype enum, descending), then by name.</summary>
    public static List<SafetensorsTensor> WriteOrder(IEnumerable<SafetensorsTensor> tensors)
    {
        var list = tensors.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            if (string.IsNullOrEmpty(t.Name) || t.Name == MetadataKey)
                throw new ArgumentException($"tensor name \"{t.Name}\" is not allowed (empty or reserved)");
            if (!seen.Add(t.Name))
                throw new ArgumentException($"tensor name \"{t.Name}\" appears twice; names must be unique");
            if (!SafetensorsDType.IsKnown(t.DType))
                throw new ArgumentException($"tensor \"{t.Name}\": {SafetensorsDType.UnknownMessage(t.DType)}");
            _ = t.ByteLength; // validates the shape (no negative dims, no overflow) before anything is written
        }
        list.Sort((a, b) =>
        {
            int byRank = SafetensorsDType.Rank(b.DType).CompareTo(SafetensorsDType.Rank(a.DType));
            return byRank != 0 ? byRank : string.CompareOrdinal(a.Name, b.Name);
        });
        return list;
    }

    /// <summary>The header JSON, space-padded to a multiple of 8 bytes. Metadata keys are written sorted so output is deterministic.</summary>
    public static byte[] BuildHeader(IReadOnlyList<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, CompactJson))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var e in entries)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.DType);
                json.WriteStartArray("shape");
                foreach (long dim in e.Shape)
                    json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(e.DataOffset);
                json.WriteNumberValue(e.DataOffset + e.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    /// <summary>
    /// Parses and validates a header against the size of the data section that follows it: every tensor's byte
    /// range must equal prod(shape) * element size, ranges must tile the data section from 0 without gaps or
    /// overlaps, and the last one must end exactly at its end. Entries come back in data order.
    /// </summary>
    public static (List<SafetensorsEntry> Entries, Dictionary<string, string> Metadata) ParseHeader(
        ReadOnlyMemory<byte> headerJson, long dataLength, string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerJson);
        }
        catch (JsonException ex)
        {
            throw new SafetensorsFormatException(path, $"the header is not valid JSON ({ex.Message})", ex);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException(path, "the header is not a JSON object");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<SafetensorsEntry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw new SafetensorsFormatException(path, $"the header declares \"{property.Name}\" twice");
                if (property.Name == MetadataKey)
                    ReadMetadata(property.Value, metadata, path);
                else
                    entries.Add(ReadEntry(property.Name, property.Value, path));
            }
            CheckTiling(entries, dataLength, path);
            return (entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement element, Dictionary<string, string> metadata, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(path, $"\"{MetadataKey}\" must be an object of strings");
        foreach (var item in element.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new SafetensorsFormatException(path, $"\"{MetadataKey}\" value for \"{item.Name}\" is not a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new SafetensorsFormatException(path, $"\"{MetadataKey}\" declares \"{item.Name}\" twice");
        }
    }

    private static SafetensorsEntry ReadEntry(string name, JsonElement element, string path)
    {
        string Problem(string what) => $"tensor \"{name}\": {what}";
        if (element.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(path, Problem("its header entry is not an object"));
        if (!element.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new SafetensorsFormatException(path, Problem("missing string \"dtype\""));
        string dtype = dtypeElement.GetString()!;
        if (!SafetensorsDType.IsKnown(dtype))
            throw new SafetensorsFormatException(path, Problem(SafetensorsDType.UnknownMessage(dtype)));
        long[] shape = ReadCounts(element, "shape", path, Problem, requiredLength: null);
        long[] offsets = ReadCounts(element, "data_offsets", path, Problem, requiredLength: 2);
        long elements;
        try
        {
            elements = checked(ElementCount(shape) * SafetensorsDType.ElementSize(dtype));
        }
        catch (OverflowException)
        {
            throw new SafetensorsFormatException(path, Problem($"shape [{string.Join(", ", shape)}] overflows 64 bits"));
        }
        if (offsets[1] < offsets[0] || offsets[1] - offsets[0] != elements)
            throw new SafetensorsFormatException(path, Problem(
                $"data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]} bytes but {dtype} " +
                $"[{string.Join(", ", shape)}] needs {elements}"));
        return new SafetensorsEntry(name, dtype, shape, offsets[0], elements);
    }

    private static long[] ReadCounts(JsonElement entry, string key, string path, Func<string, string> problem, int? requiredLength)
    {
        string expected = requiredLength is { } n ? $"an array of {n} non-negative integers" : "an array of non-negative integers";
        if (!entry.TryGetProperty(key, out var array) || array.ValueKind != JsonValueKind.Array
            || (requiredLength is { } length && array.GetArrayLength() != length))
            throw new SafetensorsFormatException(path, problem($"\"{key}\" must be {expected}"));
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out values[i]) || values[i] < 0)
                throw new SafetensorsFormatException(path, problem($"\"{key}\" must be {expected}, found {item.GetRawText()}"));
            i++;
        }
        return values;
    }

    private static void CheckTiling(List<SafetensorsEntry> entries, long dataLength, string path)
    {
        entries.Sort((a, b) => a.DataOffset != b.DataOffset
            ? a.DataOffset.CompareTo(b.DataOffset)
            : a.ByteLength.CompareTo(b.ByteLength));
        long end = 0;
        foreach (var e in entries)
        {
            if (e.DataOffset != end)
                throw new SafetensorsFormatException(path, e.DataOffset > end
                    ? $"tensor \"{e.Name}\" starts at data offset {e.DataOffset} but the previous tensor ends at {end} (a gap)"
                    : $"tensor \"{e.Name}\" starts at data offset {e.DataOffset}, inside the previous tensor (ends at {end})");
            end = e.DataOffset + e.ByteLength;
        }
        if (end > dataLength)
            throw new SafetensorsFormatException(path,
                $"the file is truncated: its tensors need {end} bytes of data but only {dataLength} follow the header");
        if (end < dataLength)
            throw new SafetensorsFormatException(path,
                $"{dataLength - end} unexpected bytes follow the last tensor (data ends at {end} of {dataLength})");
    }
}
