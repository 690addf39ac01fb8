using System.Buffers.Binary;
using System.Numerics;

namespace TrainSage.Formats.Checksums;

/// <summary>
/// CRC-32C (Castagnoli) on the CPU's crc32 instruction where present: the checksum of token-shard payloads and
/// of TFRecord framing (TensorBoard event files).
/// </summary>
public static class Crc32C
{
    /// <summary>The standard CRC-32C of <paramref name="data"/> (initial value and final xor 0xFFFFFFFF).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues <paramref name="crc"/> (the CRC of earlier bytes, 0 for none) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        // Standard CRC-32C pre- and post-inverts; the hardware step does neither.
        var state = ~crc;
        while (data.Length >= 8)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data) state = BitOperations.Crc32C(state, b);
        return ~state;
    }

    /// <summary>
    /// TensorFlow's masking, applied to CRCs stored next to the data they cover: a CRC of data that itself
    /// contains CRCs is otherwise weak.
    /// </summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8u;

    public static uint Masked(ReadOnlySpan<byte> data) => Mask(Compute(data));
}
