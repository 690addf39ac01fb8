using System.Buffers.Binary;
using System.Text;
using TrainSage.Formats.Safetensors;

namespace TrainSage.Formats.Tests;

public sealed class SafetensorsCorruptionTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>A file made by hand: length prefix, <paramref name="json"/>, then <paramref name="dataBytes"/> bytes.</summary>
    private string Raw(string json, int dataBytes, ulong? lengthPrefix = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, lengthPrefix ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        string path = temp[$"{Guid.NewGuid():N}.safetensors"];
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertRejected(string path, string expected)
    {
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    private const string TwoTensors = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[8,11]}}";

    [Fact]
    public void The_hand_made_reference_file_is_valid() // so every rejection below is caused by its one defect
    {
        using var file = SafetensorsFile.Open(Raw(TwoTensors, 11));
        Assert.Equal(["a", "b"], file.Entries.Select(e => e.Name));
    }

    [Theory]
    [InlineData(TwoTensors, 7, "truncated: its tensors need 11 bytes of data but only 7")]
    [InlineData(TwoTensors, 12, "1 unexpected bytes follow the last tensor")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]", 8, "not valid JSON")]
    [InlineData("[1,2]", 0, "not a JSON object")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "\"b\" starts at data offset 8 but the previous tensor ends at 4 (a gap)")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "\"b\" starts at data offset 4, inside the previous tensor")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "data_offsets [0, 4] span 4 bytes but F32 [2] needs 8")]
    [InlineData("{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, "unknown dtype \"Q4\"; known dtypes: BOOL, U8")]
    [InlineData("{\"a\":{\"shape\":[2],\"data_offsets\":[0,2]}}", 2, "missing string \"dtype\"")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[-2],\"data_offsets\":[0,2]}}", 2, "\"shape\" must be an array of non-negative integers, found -2")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0]}}", 2, "\"data_offsets\" must be an array of 2")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2, "declares \"a\" twice")]
    [InlineData("{\"__metadata__\":{\"n\":3}}", 0, "value for \"n\" is not a string")]
    [InlineData("{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "overflows 64 bits")]
    public void Corrupt_headers_are_rejected_naming_the_file_and_the_problem(string json, int dataBytes, string expected) =>
        AssertRejected(Raw(json, dataBytes), expected);

    [Fact]
    public void Truncated_inside_the_header_is_rejected() =>
        AssertRejected(Raw(TwoTensors, 0, lengthPrefix: 500), "truncated: the header length prefix says 500 bytes but only");

    [Fact]
    public void An_absurd_header_length_is_rejected_without_reading_it() =>
        AssertRejected(Raw("{}", 0, lengthPrefix: ulong.MaxValue), "above the 100 MB limit");

    [Fact]
    public void A_file_shorter_than_the_length_prefix_is_rejected()
    {
        string path = temp["short.safetensors"];
        File.WriteAllBytes(path, [1, 2, 3]);
        AssertRejected(path, "3 bytes long, too short");
    }

    [Fact]
    public void A_written_file_cut_short_is_rejected()
    {
        string path = temp["cut.safetensors"];
        SafetensorsWriter.Write(path, [SafetensorsTensor.FromBytes("w", "F32", [16], new byte[64])]);
        using (var stream = new FileStream(path, FileMode.Open))
            stream.SetLength(stream.Length - 10);
        AssertRejected(path, "truncated: its tensors need 64 bytes of data but only 54");
    }

    [Fact]
    public void A_missing_file_is_a_file_not_found_error()
    {
        var error = Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open(temp["absent.safetensors"]));
        Assert.Contains("absent.safetensors", error.Message);
    }
}
