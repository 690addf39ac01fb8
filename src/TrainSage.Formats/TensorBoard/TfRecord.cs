using TrainSage.Formats.Checksums;
using System.Buffers;
using System.Buffers.Binary;

namespace TrainSage.Formats.TensorBoard;

/// <summary>
/// TFRecord framing, the container of TensorBoard event files. Each record is:
/// uint64 length (little-endian), uint32 masked CRC-32C of those 8 bytes, the data, uint32 masked CRC-32C of the data.
/// </summary>
public static class TfRecord
{
    private const int HeaderBytes = 12;
    private const int FooterBytes = 4;

    /// <summary>Writes one record in a single call on <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> data)
    {
        int total = HeaderBytes + data.Length + FooterBytes;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var record = buffer.AsSpan(0, total);
            BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], Crc32C.Masked(record[..8]));
            data.CopyTo(record[HeaderBytes..]);
            BinaryPrimitives.WriteUInt32LittleEndian(record[(HeaderBytes + data.Length)..], Crc32C.Masked(data));
            stream.Write(record);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads every record of <paramref name="stream"/>, checking both CRCs. A truncated or corrupt record throws
    /// <see cref="InvalidDataException"/> naming <paramref name="sourceName"/>, the record number and its byte offset.
    /// </summary>
    public static IEnumerable<byte[]> ReadAll(Stream stream, string sourceName)
    {
        var header = new byte[HeaderBytes];
        var footer = new byte[FooterBytes];
        long offset = 0;
        for (int index = 0; ; index++)
        {
            int got = stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false);
            if (got == 0)
                yield break;
            string where = $"'{sourceName}' record {index} at byte {offset}";
            if (got < HeaderBytes)
                throw new InvalidDataException($"{where}: truncated inside the 12-byte record header ({got} bytes).");
            if (BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)) != Crc32C.Masked(header.AsSpan(0, 8)))
                throw new InvalidDataException($"{where}: the length's CRC does not match (corrupt file, or not TFRecord).");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            if (length > (ulong)Array.MaxLength)
                throw new InvalidDataException($"{where}: record length {length} is too large.");
            var data = new byte[length];
            if (stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length
                || stream.ReadAtLeast(footer, FooterBytes, throwOnEndOfStream: false) < FooterBytes)
                throw new InvalidDataException($"{where}: truncated; the header announces {length} data bytes.");
            if (BinaryPrimitives.ReadUInt32LittleEndian(footer) != Crc32C.Masked(data))
                throw new InvalidDataException($"{where}: the data's CRC does not match (corrupt record).");
            offset += HeaderBytes + data.Length + FooterBytes;
            yield return data;
        }
    }
}
