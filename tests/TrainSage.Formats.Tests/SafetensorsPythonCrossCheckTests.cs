using System.Text.Json;
using TrainSage.Formats.Safetensors;

namespace TrainSage.Formats.Tests;

public sealed class SafetensorsPythonCrossCheckTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private sealed record PythonView(Dictionary<string, string> Metadata, Dictionary<string, JsonElement[]> Tensors);

    [PythonModuleFact("safetensors.numpy")]
    public void Hugging_Face_reads_our_file_and_writes_the_same_bytes()
    {
        var random = new Random(11);
        var tensors = new (string Name, string DType, string NumpyDType, long[] Shape)[]
        {
            ("h.0.attn.weight", "F32", "float32", [2, 3]), ("ids", "I64", "int64", [4]), ("raw", "U8", "uint8", [5]),
            ("half", "F16", "float16", [3]), ("counts", "I32", "int32", [2, 2]), ("scalar", "F64", "float64", []),
            ("q", "I8", "int8", [3]),
        }.Select(t =>
        {
            var bytes = new byte[new SafetensorsTensor(t.Name, t.DType, t.Shape, _ => { }).ByteLength];
            random.NextBytes(bytes);
            return (t.Name, t.NumpyDType, Tensor: SafetensorsTensor.FromBytes(t.Name, t.DType, t.Shape, bytes), Bytes: bytes);
        }).ToList();
        string ours = temp["ours.safetensors"], theirs = temp["theirs.safetensors"];
        SafetensorsWriter.Write(ours, tensors.Select(t => t.Tensor), new Dictionary<string, string> { ["format"] = "np" });

        const string program = """
            import json, sys
            from safetensors import safe_open
            from safetensors.numpy import load_file, save_file
            tensors = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="numpy") as f:
                metadata = f.metadata()
            save_file(tensors, sys.argv[2], metadata=metadata)
            print(json.dumps({"metadata": metadata, "tensors": {name: [str(t.dtype), list(t.shape), t.reshape(-1).tobytes().hex()] for name, t in tensors.items()}}))
            """;
        var result = Python.Run(program, ours, theirs);
        Assert.True(result.ExitCode == 0, result.Stderr);

        var view = JsonSerializer.Deserialize<PythonView>(result.Stdout, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        Assert.Equal(new Dictionary<string, string> { ["format"] = "np" }, view.Metadata);
        foreach (var (name, numpyDType, tensor, bytes) in tensors)
        {
            var seen = view.Tensors[name];
            Assert.Equal(numpyDType, seen[0].GetString());
            Assert.Equal(tensor.Shape, seen[1].EnumerateArray().Select(d => d.GetInt64()));
            Assert.Equal(Convert.ToHexStringLower(bytes), seen[2].GetString());
        }
        Assert.Equal(File.ReadAllBytes(ours), File.ReadAllBytes(theirs));
    }
}
