using TrainSage.Formats.Checksums;
using System.Buffers.Binary;
using TrainSage.Formats.TensorBoard;

namespace TrainSage.Formats.Tests;

public sealed class TfRecordTests
{
    /// <summary>CRC-32C bit by bit from its definition (reflected polynomial 0x82F63B78), independent of the library.</summary>
    private static uint BitwiseCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
        }
        return ~crc;
    }

    private static uint BitwiseMasked(ReadOnlySpan<byte> data)
    {
        uint crc = BitwiseCrc32C(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8);
    }

    [Fact]
    public void Reference_crc_matches_the_published_check_value() =>
        Assert.Equal(0xE3069283u, BitwiseCrc32C("123456789"u8)); // CRC-32C check value from the CRC catalogue

    [Fact]
    public void Hardware_crc_matches_the_bitwise_one_at_every_length_and_alignment()
    {
        var data = new byte[100];
        new Random(3).NextBytes(data);
        for (int start = 0; start < 8; start++)
            for (int length = 0; start + length <= data.Length; length++)
                Assert.Equal(BitwiseCrc32C(data.AsSpan(start, length)), Crc32C.Compute(data.AsSpan(start, length)));
    }

    [Fact]
    public void Framing_of_a_known_record_matches_the_format()
    {
        // The 27-byte Event of TensorBoardEventTests' hand-encoded example.
        byte[] data = [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x10, 0xAC, 0x02, 0x2A, 0x0D, 0x0A, 0x0B, 0x0A, 0x04,
            (byte)'l', (byte)'o', (byte)'s', (byte)'s', 0x15, 0, 0, 0x80, 0x3E];
        var stream = new MemoryStream();
        TfRecord.Write(stream, data);
        byte[] record = stream.ToArray();

        Assert.Equal(8 + 4 + 27 + 4, record.Length);
        Assert.Equal(27ul, BinaryPrimitives.ReadUInt64LittleEndian(record));
        Assert.Equal(data, record[12..39]);
        // Masked CRCs, also computed by a separate bitwise Python implementation: 0x139E0D1A and 0xEDDE0899.
        Assert.Equal(0x139E0D1Au, BitwiseMasked(record.AsSpan(0, 8)));
        Assert.Equal(0x139E0D1Au, BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(8)));
        Assert.Equal(0xEDDE0899u, BitwiseMasked(data));
        Assert.Equal(0xEDDE0899u, BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(39)));
    }

    [Fact]
    public void Records_round_trip()
    {
        var random = new Random(5);
        var records = Enumerable.Range(0, 20).Select(i => { var r = new byte[i * 37]; random.NextBytes(r); return r; }).ToList();
        var stream = new MemoryStream();
        foreach (var r in records)
            TfRecord.Write(stream, r);
        stream.Position = 0;
        Assert.Equal(records, TfRecord.ReadAll(stream, "mem").ToList());
    }

    [Theory]
    [InlineData(3, "the length's CRC does not match")]   // a length byte
    [InlineData(9, "the length's CRC does not match")]   // the length's CRC
    [InlineData(13, "the data's CRC does not match")]     // a data byte
    [InlineData(17, "the data's CRC does not match")]     // the data's CRC
    public void A_flipped_byte_is_detected_with_its_record_and_offset(int position, string expected)
    {
        var stream = new MemoryStream();
        TfRecord.Write(stream, new byte[4]);
        TfRecord.Write(stream, new byte[4]);
        byte[] bytes = stream.ToArray();
        bytes[20 + position] ^= 0x40; // inside the second record, which starts at byte 20
        var error = Assert.Throws<InvalidDataException>(() => TfRecord.ReadAll(new MemoryStream(bytes), "f.tfevents").ToList());
        Assert.Contains("'f.tfevents' record 1 at byte 20", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData(5, "truncated inside the 12-byte record header")]
    [InlineData(14, "truncated; the header announces 4 data bytes")]
    [InlineData(18, "truncated; the header announces 4 data bytes")]
    public void A_truncated_record_is_reported(int keptBytes, string expected)
    {
        var stream = new MemoryStream();
        TfRecord.Write(stream, new byte[4]);
        var error = Assert.Throws<InvalidDataException>(() =>
            TfRecord.ReadAll(new MemoryStream(stream.ToArray()[..keptBytes]), "f").ToList());
        Assert.Contains(expected, error.Message);
    }
}
