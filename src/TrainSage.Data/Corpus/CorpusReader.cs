using System.Text.Json;

namespace TrainSage.Data.Corpus;

/// <summary>
/// Reads documents from files: a .txt/.md/.rst file is one document; a .jsonl file holds one document per
/// line, the string in its text field. Documents are read lazily, one at a time.
/// </summary>
public static class CorpusReader
{
    public static IReadOnlyList<string> TextExtensions { get; } = [".txt", ".md", ".rst"];
    public const string JsonLinesExtension = ".jsonl";

    /// <summary>Fails on the first file whose extension is not supported, before anything is read.</summary>
    public static void CheckSupported(IEnumerable<string> files)
    {
        foreach (var file in files)
            if (!IsText(file) && !IsJsonLines(file))
                throw new ArgumentException(
                    $"Input '{file}' has an unsupported extension. Supported: {string.Join(", ", TextExtensions)}, " +
                    $"{JsonLinesExtension} (one JSON object per line). Narrow the input pattern (e.g. data/*.txt).");
    }

    /// <summary>The non-empty documents of <paramref name="files"/>, in order.</summary>
    /// <param name="textField">The .jsonl field holding each document's text.</param>
    public static IEnumerable<CorpusDocument> Read(IEnumerable<string> files, string textField = "text")
    {
        foreach (var file in files)
        {
            CheckSupported([file]);
            var documents = IsText(file) ? [new CorpusDocument(file, File.ReadAllText(file))] : ReadJsonLines(file, textField);
            foreach (var document in documents)
                if (document.Text.Length > 0) yield return document;
        }
    }

    private static bool IsText(string file) => TextExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase);

    private static bool IsJsonLines(string file) =>
        string.Equals(Path.GetExtension(file), JsonLinesExtension, StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<CorpusDocument> ReadJsonLines(string file, string textField)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadLines(file))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var source = $"{file}:{lineNumber}";
            yield return new CorpusDocument(source, TextOf(line, textField, source));
        }
    }

    private static string TextOf(string line, string textField, string source)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message}). Each line of a .jsonl file is one JSON object.", e);
        }
        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{source}: the line is a JSON {json.RootElement.ValueKind}, not an object with a \"{textField}\" field.");
            if (!json.RootElement.TryGetProperty(textField, out var text))
            {
                var fields = string.Join(", ", json.RootElement.EnumerateObject().Select(property => $"\"{property.Name}\""));
                throw new InvalidDataException(
                    $"{source}: no \"{textField}\" field (the line has {fields}). Set the text field option to the field that holds the text.");
            }
            if (text.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{source}: field \"{textField}\" is a JSON {text.ValueKind}, not a string.");
            return text.GetString()!;
        }
    }
}
