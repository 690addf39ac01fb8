namespace TrainSage.Data.Tokenizers;

/// <summary>Loads saved tokenizers and creates trainers for new ones.</summary>
public static class Tokenizer
{
    /// <summary>Reads a tokenizer.json written by <see cref="ITokenizer.Save"/>.</summary>
    public static ITokenizer Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"Tokenizer file '{path}' not found. `trainsage data prepare` writes it beside the shards; re-run it.", path);
        return TokenizerJson.Read(File.ReadAllText(path), path);
    }

    /// <summary>Parses tokenizer.json text; <paramref name="source"/> names it in errors.</summary>
    public static ITokenizer FromJson(string json, string source = "tokenizer.json") => TokenizerJson.Read(json, source);

    /// <summary>
    /// A trainer for <paramref name="kind"/>. <paramref name="vocabSize"/>: required for bpe (256 or more),
    /// 256 or unset for byte (fixed), unset for char (the corpus decides).
    /// </summary>
    public static ITokenizerTrainer CreateTrainer(TokenizerKind kind, int? vocabSize) => kind switch
    {
        TokenizerKind.Byte when vocabSize is null or 256 => new FixedTokenizer(ByteTokenizer.Instance),
        TokenizerKind.Byte => throw new ArgumentException(
            $"The byte tokenizer has a fixed vocabulary of 256; vocab_size {vocabSize} cannot apply. Leave vocab_size unset or use the bpe tokenizer.",
            nameof(vocabSize)),
        TokenizerKind.Char when vocabSize is null => new CharVocabularyTrainer(),
        TokenizerKind.Char => throw new ArgumentException(
            $"The char tokenizer's vocabulary is the set of characters in the corpus; vocab_size {vocabSize} cannot apply. Leave vocab_size unset.",
            nameof(vocabSize)),
        TokenizerKind.Bpe when vocabSize is null => throw new ArgumentException(
            "The bpe tokenizer needs a vocab_size (for example 4096).", nameof(vocabSize)),
        TokenizerKind.Bpe => new BpeTrainer(vocabSize.Value),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Uses a ready tokenizer (byte-level, or one loaded from another dataset) and ignores the text.</summary>
    public static ITokenizerTrainer Reuse(ITokenizer tokenizer) => new FixedTokenizer(tokenizer);

    private sealed class FixedTokenizer(ITokenizer tokenizer) : ITokenizerTrainer
    {
        public void Add(string text) { }
        public ITokenizer Build() => tokenizer;
    }

    private sealed class CharVocabularyTrainer : ITokenizerTrainer
    {
        private readonly HashSet<System.Text.Rune> _chars = [];
        public void Add(string text) { foreach (var rune in text.EnumerateRunes()) _chars.Add(rune); }
        public ITokenizer Build() => new CharTokenizer(_chars);
    }
}
