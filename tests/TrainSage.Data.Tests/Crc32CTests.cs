using TrainSage.Formats.Checksums;
using System.Text;
using TrainSage.Data.Shards;

namespace TrainSage.Data.Tests;

public class Crc32CTests
{
    [Fact]
    public void Matches_the_standard_check_value()
    {
        // The CRC-32C check value from the CRC catalogue (RFC 3720, iSCSI).
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void Appending_in_pieces_equals_computing_at_once()
    {
        var data = Encoding.UTF8.GetBytes(Samples.Shakespeare);
        var pieces = Crc32C.Append(Crc32C.Append(Crc32C.Compute(data.AsSpan(0, 13)), data.AsSpan(13, 1000)), data.AsSpan(1013));

        Assert.Equal(Crc32C.Compute(data), pieces);
    }
}
