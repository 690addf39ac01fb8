namespace TrainSage.Data.Tokenizers;

/// <summary>
/// Turns text into token ids and back. Implementations are immutable and thread-safe; their JSON form
/// (<see cref="ToJson"/>) is canonical, so equal tokenizers have equal fingerprints.
/// </summary>
public interface ITokenizer
{
    TokenizerKind Kind { get; }

    /// <summary>Short human-readable name, e.g. "byte", "char-65", "bpe-4096".</summary>
    string Name { get; }

    /// <summary>Number of distinct token ids: every id is in [0, VocabSize).</summary>
    int VocabSize { get; }

    int[] Encode(string text);

    /// <summary>Inverse of <see cref="Encode"/>; ids outside the vocabulary throw.</summary>
    string Decode(ReadOnlySpan<int> tokens);

    /// <summary>The tokenizer.json text that <see cref="Tokenizer.Load"/> reads back.</summary>
    string ToJson();

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> (UTF-8, no BOM).</summary>
    void Save(string path);

    /// <summary>
    /// Lower-case hex SHA-256 of the UTF-8 tokenizer.json text. Shards record it so that data tokenized by
    /// another tokenizer is detected instead of being read as other text.
    /// </summary>
    string Fingerprint { get; }
}
