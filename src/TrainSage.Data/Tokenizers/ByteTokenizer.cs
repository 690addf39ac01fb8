using System.Text;

namespace TrainSage.Data.Tokenizers;

/// <summary>One token per UTF-8 byte (ids 0..255). Needs no training and covers every string.</summary>
public sealed class ByteTokenizer : ITokenizer
{
    private string? _fingerprint;

    public static ByteTokenizer Instance { get; } = new();

    private ByteTokenizer() { }

    public TokenizerKind Kind => TokenizerKind.Byte;
    public string Name => "byte";
    public int VocabSize => 256;

    public int[] Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var tokens = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) tokens[i] = bytes[i];
        return tokens;
    }

    public string Decode(ReadOnlySpan<int> tokens) => Encoding.UTF8.GetString(TokenIds.ToBytes(tokens, this));

    public string ToJson() => TokenizerJson.Write(this, _ => { });

    public void Save(string path) => TokenizerJson.Save(this, path);

    public string Fingerprint => _fingerprint ??= TokenizerJson.Fingerprint(this);
}
