namespace TrainSage.Data.Tokenizers;

/// <summary>Token id validation shared by the tokenizers' Decode.</summary>
internal static class TokenIds
{
    /// <summary>Byte ids to bytes; an id outside [0, 256) is an error naming its position.</summary>
    public static byte[] ToBytes(ReadOnlySpan<int> tokens, ITokenizer tokenizer)
    {
        var bytes = new byte[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            CheckId(tokens[i], i, tokenizer);
            bytes[i] = (byte)tokens[i];
        }
        return bytes;
    }

    public static void CheckId(int id, int position, ITokenizer tokenizer)
    {
        if ((uint)id >= (uint)tokenizer.VocabSize)
            throw new ArgumentOutOfRangeException(nameof(id),
                $"Token id {id} at position {position} is outside the {tokenizer.Name} tokenizer's vocabulary " +
                $"[0, {tokenizer.VocabSize}). The tokens come from another tokenizer or a model with a larger vocabulary.");
    }
}
