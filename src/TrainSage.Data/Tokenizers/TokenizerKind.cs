namespace TrainSage.Data.Tokenizers;

/// <summary>The tokenizer families TrainSage can train, save and load.</summary>
public enum TokenizerKind
{
    /// <summary>One token per UTF-8 byte; vocabulary 256; needs no training.</summary>
    Byte,

    /// <summary>One token per Unicode character seen in the corpus (nanoGPT's shakespeare_char).</summary>
    Char,

    /// <summary>Byte-level BPE: byte tokens plus merges learned from the corpus.</summary>
    Bpe,
}

/// <summary>The names tokenizer kinds have in recipes and tokenizer.json.</summary>
public static class TokenizerKindNames
{
    public static string ToName(this TokenizerKind kind) => kind switch
    {
        TokenizerKind.Byte => "byte",
        TokenizerKind.Char => "char",
        TokenizerKind.Bpe => "bpe",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Parses "byte", "char" or "bpe" (case-insensitive); anything else names the allowed values.</summary>
    public static TokenizerKind Parse(string name) => name.ToLowerInvariant() switch
    {
        "byte" => TokenizerKind.Byte,
        "char" => TokenizerKind.Char,
        "bpe" => TokenizerKind.Bpe,
        _ => throw new ArgumentException($"Unknown tokenizer kind '{name}'. Allowed: byte, char, bpe.", nameof(name)),
    };
}
