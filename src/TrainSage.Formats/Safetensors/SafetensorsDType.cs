namespace TrainSage.Formats.Safetensors;

/// <summary>The element types of the safetensors format, by their names in the header ("F32", "BF16", ...).</summary>
public static class SafetensorsDType
{
    // Hugging Face's Dtype enum order (increasing alignment). Its writer lays tensors out by this order, descending,
    // so every tensor starts aligned to its element size; ours does the same.
    private static readonly (string Name, int Size)[] Known =
    [
        ("BOOL", 1), ("U8", 1), ("I8", 1), ("F8_E5M2", 1), ("F8_E4M3", 1),
        ("I16", 2), ("U16", 2), ("F16", 2), ("BF16", 2),
        ("I32", 4), ("U32", 4), ("F32", 4),
        ("F64", 8), ("I64", 8), ("U64", 8),
    ];

    /// <summary>All dtype names this library reads and writes.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.ConvertAll(Known, k => k.Name);

    public static bool IsKnown(string dtype) => Rank(dtype) >= 0;

    /// <summary>Bytes per element; throws <see cref="ArgumentException"/> naming the known dtypes for an unknown name.</summary>
    public static int ElementSize(string dtype)
    {
        int rank = Rank(dtype);
        if (rank < 0)
            throw new ArgumentException(UnknownMessage(dtype), nameof(dtype));
        return Known[rank].Size;
    }

    internal static string UnknownMessage(string dtype) =>
        $"unknown dtype \"{dtype}\"; known dtypes: {string.Join(", ", Names)}";

    /// <summary>Position in Hugging Face's enum order, or -1 when unknown.</summary>
    internal static int Rank(string dtype) => Array.FindIndex(Known, k => k.Name == dtype);
}
