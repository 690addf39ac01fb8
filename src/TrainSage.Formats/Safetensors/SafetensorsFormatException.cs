namespace TrainSage.Formats.Safetensors;

/// <summary>A safetensors file that is truncated, corrupt or inconsistent; the message names the file and the problem.</summary>
public sealed class SafetensorsFormatException(string filePath, string problem, Exception? inner = null)
    : IOException($"Invalid safetensors file '{filePath}': {problem}", inner)
{
    public string FilePath { get; } = filePath;
}
