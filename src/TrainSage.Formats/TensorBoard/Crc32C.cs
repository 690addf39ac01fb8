using System.Buffers.Binary;
using System.Numerics;

namespace TrainSage.Formats.TensorBoard;

/// <summary>CRC-32C (Castagnoli), the checksum of TFRecord framing, on the CPU's crc32 instruction where present.</summary>
public static class Crc32C
{
    /// <summary>The standard CRC-32C of <paramref name="data"/> (initial value and final xor 0xFFFFFFFF).</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data)
            crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }

    /// <summary>
    /// TensorFlow's masking, applied to CRCs stored next to the data they cover: a CRC of data that itself
    /// contains CRCs is otherwise weak.
    /// </summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8u;

    public static uint Masked(ReadOnlySpan<byte> data) => Mask(Compute(data));
}
