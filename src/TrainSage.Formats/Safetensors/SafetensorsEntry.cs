namespace TrainSage.Formats.Safetensors;

/// <summary>
/// One tensor as declared in a safetensors header. <see cref="DataOffset"/> counts from the start of the data
/// section (the header's data_offsets begin), <see cref="ByteLength"/> = element count * element size.
/// </summary>
public sealed record SafetensorsEntry(string Name, string DType, IReadOnlyList<long> Shape, long DataOffset, long ByteLength)
{
    public long ElementCount => SafetensorsLayout.ElementCount(Shape);
}
