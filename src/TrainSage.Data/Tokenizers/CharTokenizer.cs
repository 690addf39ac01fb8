using System.Text;

namespace TrainSage.Data.Tokenizers;

/// <summary>
/// One token per Unicode character; the vocabulary is the sorted set of characters of the corpus it was built
/// from (as nanoGPT's shakespeare_char does, so ids match its <c>sorted(set(text))</c> for ASCII text).
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    private readonly Rune[] _chars;
    private readonly Dictionary<Rune, int> _ids;
    private string? _fingerprint;

    /// <param name="chars">The vocabulary; sorted and deduplicated here, so any order will do.</param>
    public CharTokenizer(IEnumerable<Rune> chars)
    {
        _chars = chars.Distinct().Order().ToArray();
        if (_chars.Length == 0)
            throw new ArgumentException("A char tokenizer needs at least one character; the corpus was empty.", nameof(chars));
        _ids = new Dictionary<Rune, int>(_chars.Length);
        for (var i = 0; i < _chars.Length; i++) _ids[_chars[i]] = i;
    }

    /// <summary>The vocabulary built from every character of <paramref name="texts"/>.</summary>
    public static CharTokenizer FromTexts(IEnumerable<string> texts) =>
        new(texts.SelectMany(text => text.EnumerateRunes()));

    public TokenizerKind Kind => TokenizerKind.Char;
    public string Name => $"char-{VocabSize}";
    public int VocabSize => _chars.Length;

    /// <summary>The vocabulary in id order.</summary>
    public IReadOnlyList<Rune> Characters => _chars;

    public int[] Encode(string text)
    {
        var tokens = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (!_ids.TryGetValue(rune, out var id))
                throw new ArgumentException(
                    $"Character U+{rune.Value:X4} '{rune}' is not in the {Name} tokenizer's vocabulary (built from " +
                    "another corpus). Prepare this data with the byte or bpe tokenizer, or rebuild the char " +
                    "vocabulary from a corpus that contains it.", nameof(text));
            tokens.Add(id);
        }
        return tokens.ToArray();
    }

    public string Decode(ReadOnlySpan<int> tokens)
    {
        var text = new StringBuilder(tokens.Length);
        for (var i = 0; i < tokens.Length; i++)
        {
            TokenIds.CheckId(tokens[i], i, this);
            text.Append(_chars[tokens[i]].ToString());
        }
        return text.ToString();
    }

    public string ToJson() => TokenizerJson.Write(this, json =>
        json.WriteString("characters", string.Concat(_chars.Select(rune => rune.ToString()))));

    public void Save(string path) => TokenizerJson.Save(this, path);

    public string Fingerprint => _fingerprint ??= TokenizerJson.Fingerprint(this);
}
