namespace TrainSage.Formats.Safetensors;

/// <summary>
/// One tensor to write: its name, dtype ("F32", "BF16", ...), shape and a callback that writes exactly
/// <see cref="ByteLength"/> bytes of little-endian, row-major data to the stream it is given. The callback runs
/// while the file is written, so data can come straight from native memory without an intermediate copy.
/// </summary>
public sealed record SafetensorsTensor(string Name, string DType, IReadOnlyList<long> Shape, Action<Stream> WriteData)
{
    /// <summary>A tensor whose bytes are already in managed memory.</summary>
    public static SafetensorsTensor FromBytes(string name, string dtype, IReadOnlyList<long> shape, ReadOnlyMemory<byte> data) =>
        new(name, dtype, shape, stream => stream.Write(data.Span));

    public long ElementCount => SafetensorsLayout.ElementCount(Shape);

    public long ByteLength => checked(ElementCount * SafetensorsDType.ElementSize(DType));
}
