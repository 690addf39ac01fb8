using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TrainSage.Data.Tokenizers;

/// <summary>
/// The tokenizer.json format: {"format_version": 1, "kind": "byte"|"char"|"bpe", "vocab_size": N, ...} with
/// "characters" (char) or "merges": ["left right", ...] (bpe). Written byte-for-byte the same for equal
/// tokenizers, since the fingerprint is its hash.
/// </summary>
internal static class TokenizerJson
{
    public const int FormatVersion = 1;

    public static string Write(ITokenizer tokenizer, Action<Utf8JsonWriter> writeBody)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("format_version", FormatVersion);
            json.WriteString("kind", tokenizer.Kind.ToName());
            json.WriteNumber("vocab_size", tokenizer.VocabSize);
            writeBody(json);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    public static void Save(ITokenizer tokenizer, string path) => File.WriteAllText(path, tokenizer.ToJson(), new UTF8Encoding(false));

    public static string Fingerprint(ITokenizer tokenizer) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tokenizer.ToJson())));

    /// <param name="source">Names the file in errors.</param>
    public static ITokenizer Read(string json, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var version = root.GetProperty("format_version").GetInt32();
            if (version != FormatVersion)
                throw new InvalidDataException($"format_version {version} is not supported (this build reads {FormatVersion}).");
            var kind = TokenizerKindNames.Parse(root.GetProperty("kind").GetString() ?? "");
            ITokenizer tokenizer = kind switch
            {
                TokenizerKind.Byte => ByteTokenizer.Instance,
                TokenizerKind.Char => new CharTokenizer(root.GetProperty("characters").GetString()!.EnumerateRunes()),
                TokenizerKind.Bpe => new BpeTokenizer(root.GetProperty("merges").EnumerateArray().Select(ParseMerge).ToArray()),
                _ => throw new InvalidDataException($"kind {kind} has no reader."),
            };
            var vocabSize = root.GetProperty("vocab_size").GetInt32();
            if (vocabSize != tokenizer.VocabSize)
                throw new InvalidDataException($"vocab_size says {vocabSize} but the {kind.ToName()} vocabulary it lists has {tokenizer.VocabSize} ids.");
            return tokenizer;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException
                                      or FormatException or ArgumentException or InvalidDataException)
        {
            throw new InvalidDataException(
                $"Tokenizer file '{source}' is not a valid TrainSage tokenizer: {e.Message} " +
                "Re-create it with `trainsage data prepare`.", e);
        }
    }

    private static (int Left, int Right) ParseMerge(JsonElement merge)
    {
        var parts = merge.GetString()!.Split(' ');
        if (parts.Length != 2) throw new FormatException($"merge \"{merge.GetString()}\" is not two ids separated by a space.");
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }
}
