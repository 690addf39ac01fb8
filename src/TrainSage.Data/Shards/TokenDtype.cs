namespace TrainSage.Data.Shards;

/// <summary>How a shard stores each token id (little-endian). The numeric values are the on-disk codes.</summary>
public enum TokenDtype : uint
{
    UInt16 = 1,
    UInt32 = 2,
}

public static class TokenDtypes
{
    /// <summary>The narrowest dtype that holds every id of a vocabulary of <paramref name="vocabSize"/>.</summary>
    public static TokenDtype ForVocab(int vocabSize) => vocabSize <= 1 << 16 ? TokenDtype.UInt16 : TokenDtype.UInt32;

    public static int BytesPerToken(this TokenDtype dtype) => dtype switch
    {
        TokenDtype.UInt16 => 2,
        TokenDtype.UInt32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };
}
