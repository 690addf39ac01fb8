namespace TrainSage.Torch;

/// <summary>Element types; the values are c10::ScalarType's, so they cross the ABI unchanged.</summary>
public enum ScalarType
{
    UInt8 = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Float16 = 5,
    Float32 = 6,
    Float64 = 7,
    Bool = 11,
    BFloat16 = 15,
    Float8_e5m2 = 23,
    Float8_e4m3fn = 24,
}

public static class ScalarTypeExtensions
{
    public static int ElementSize(this ScalarType type) => type switch
    {
        ScalarType.UInt8 or ScalarType.Int8 or ScalarType.Bool or ScalarType.Float8_e5m2 or ScalarType.Float8_e4m3fn => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown scalar type"),
    };

    public static bool IsFloatingPoint(this ScalarType type) => type is ScalarType.Float16 or ScalarType.Float32
        or ScalarType.Float64 or ScalarType.BFloat16 or ScalarType.Float8_e5m2 or ScalarType.Float8_e4m3fn;

    /// <summary>The ScalarType that matches a .NET element type.</summary>
    public static ScalarType Of<T>() where T : unmanaged => default(T) switch
    {
        float => ScalarType.Float32,
        double => ScalarType.Float64,
        Half => ScalarType.Float16,
        long => ScalarType.Int64,
        int => ScalarType.Int32,
        short => ScalarType.Int16,
        sbyte => ScalarType.Int8,
        byte => ScalarType.UInt8,
        bool => ScalarType.Bool,
        _ => throw new NotSupportedException($"no tensor element type for {typeof(T).Name}"),
    };
}
