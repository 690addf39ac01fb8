using System.Runtime.InteropServices;
using System.Text;
using TrainSage.Formats.Safetensors;

namespace TrainSage.Formats.Tests;

public sealed class SafetensorsTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static SafetensorsTensor Tensor<T>(string name, string dtype, long[] shape, params T[] values) where T : unmanaged =>
        SafetensorsTensor.FromBytes(name, dtype, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    [Fact]
    public void Header_and_data_match_the_format_byte_for_byte()
    {
        string path = temp["tiny.safetensors"];
        SafetensorsWriter.Write(path,
        [
            Tensor("b", "U8", [3], (byte)1, (byte)2, (byte)3),
            Tensor("a", "F32", [2], 1.0f, -2.0f),
            Tensor("s", "I64", [], 5L),
        ], new Dictionary<string, string> { ["step"] = "7" });

        // By hand, from the format: tensors laid out widest dtype first (I64, F32, U8), compact JSON with
        // __metadata__ first, 189 bytes of JSON padded with 3 spaces to 192 = 0xC0, then 8 + 8 + 3 data bytes.
        const string json = "{\"__metadata__\":{\"step\":\"7\"}," +
                            "\"s\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}," +
                            "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}," +
                            "\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[16,19]}}";
        Assert.Equal(189, json.Length);
        byte[] expected =
        [
            0xC0, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.ASCII.GetBytes(json + "   "),
            5, 0, 0, 0, 0, 0, 0, 0,           // I64 5
            0x00, 0x00, 0x80, 0x3F,           // F32 1.0
            0x00, 0x00, 0x00, 0xC0,           // F32 -2.0
            1, 2, 3,                          // U8
        ];
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void Round_trip_keeps_names_dtypes_shapes_bytes_and_metadata()
    {
        string path = temp["model.safetensors"];
        var random = new Random(1);
        var tensors = new Dictionary<string, (string DType, long[] Shape, byte[] Bytes)>();
        foreach (var (name, dtype, shape) in new (string, string, long[])[]
                 {
                     ("h.0.attn.weight", "F32", [4, 3]), ("h.0.attn.bias", "BF16", [3]), ("wte", "F16", [5, 2]),
                     ("mask", "BOOL", [2, 2]), ("ids", "I64", [7]), ("counts", "I32", [1, 1, 3]), ("q", "I8", [6]),
                     ("raw", "U8", [9]), ("empty", "F32", [0, 4]), ("scalar", "F64", []),
                 })
        {
            var bytes = new byte[new SafetensorsTensor(name, dtype, shape, _ => { }).ByteLength];
            random.NextBytes(bytes);
            tensors[name] = (dtype, shape, bytes);
        }
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["sha256"] = new string('a', 64), ["note"] = "ünïcode \"quoted\"" };

        SafetensorsWriter.Write(path, tensors.Select(t => SafetensorsTensor.FromBytes(t.Key, t.Value.DType, t.Value.Shape, t.Value.Bytes)), metadata);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(metadata, file.Metadata);
        Assert.Equal(tensors.Keys.Order(), file.Entries.Select(e => e.Name).Order());
        Assert.Equal(0, file.DataSectionOffset % 8);
        foreach (var (name, (dtype, shape, bytes)) in tensors)
        {
            var entry = file.GetEntry(name);
            Assert.Equal(dtype, entry.DType);
            Assert.Equal(shape, entry.Shape);
            Assert.Equal(bytes, file.GetBytes(name).ToArray());
            Assert.Equal(0, entry.DataOffset % SafetensorsDType.ElementSize(dtype)); // widest-first layout keeps every tensor aligned
        }
    }

    [Fact]
    public void Streaming_callback_data_is_written_and_a_wrong_length_deletes_the_file()
    {
        string path = temp["streamed.safetensors"];
        float[] values = [1, 2, 3, 4];
        SafetensorsWriter.Write(path, [new SafetensorsTensor("w", "F32", [2, 2], s => s.Write(MemoryMarshal.AsBytes(values.AsSpan())))]);
        using (var file = SafetensorsFile.Open(path))
            Assert.Equal(values, MemoryMarshal.Cast<byte, float>(file.GetBytes("w")).ToArray());

        var error = Assert.Throws<InvalidOperationException>(() =>
            SafetensorsWriter.Write(path, [new SafetensorsTensor("w", "F32", [2, 2], s => s.Write(new byte[15]))]));
        Assert.Contains("\"w\" wrote 15 bytes", error.Message);
        Assert.Contains("16 bytes", error.Message);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("F33", "unknown dtype \"F33\"")]
    [InlineData("F32", "negative dimension", -1L)]
    public void Bad_declarations_are_refused_before_any_file_is_created(string dtype, string expected, long dim = 2)
    {
        string path = temp["refused.safetensors"];
        var error = Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Write(path, [new SafetensorsTensor("w", dtype, [dim], _ => { })]));
        Assert.Contains(expected, error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Duplicate_and_reserved_names_are_refused()
    {
        var a = Tensor("a", "U8", [1], (byte)0);
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(temp["d"], [a, a])).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Write(temp["r"], [a with { Name = "__metadata__" }])).Message);
    }

    [Fact]
    public void Missing_tensor_names_the_tensor_and_the_file()
    {
        string path = temp["one.safetensors"];
        SafetensorsWriter.Write(path, [Tensor("a", "U8", [1], (byte)0)]);
        using var file = SafetensorsFile.Open(path);
        var error = Assert.Throws<KeyNotFoundException>(() => file.GetEntry("b"));
        Assert.Contains("\"b\"", error.Message);
        Assert.Contains(path, error.Message);
    }

    [DiskFullFact]
    public void A_full_disk_is_an_io_error_and_leaves_no_partial_file()
    {
        string path = temp["full.safetensors"];
        File.CreateSymbolicLink(path, "/dev/full"); // every write through it fails with ENOSPC
        var error = Assert.ThrowsAny<IOException>(() =>
            SafetensorsWriter.Write(path, [SafetensorsTensor.FromBytes("w", "F32", [1 << 16], new byte[1 << 18])]));
        Assert.Contains("No space left on device", error.Message);
        Assert.False(File.Exists(path)); // the link is gone too
    }
}
