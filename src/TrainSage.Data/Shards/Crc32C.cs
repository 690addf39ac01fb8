using System.Buffers.Binary;
using System.Numerics;

namespace TrainSage.Data.Shards;

/// <summary>CRC-32C (Castagnoli), the checksum of shard payloads, on the CPU's CRC32 instruction.</summary>
public static class Crc32C
{
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
}
