using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace TrainSage.Formats.Safetensors;

/// <summary>
/// A memory-mapped, validated safetensors file. Opening checks the whole header against the file size (see
/// <see cref="SafetensorsFormatException"/> for what is rejected); tensor bytes are then read straight from the
/// mapping. Spans and pointers handed out are valid only until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile map;
    private readonly MemoryMappedViewAccessor view;
    private readonly Dictionary<string, SafetensorsEntry> byName;
    private byte* data;

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* fileStart,
        long dataSectionOffset, List<SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        this.map = map;
        this.view = view;
        data = fileStart + dataSectionOffset;
        DataSectionOffset = dataSectionOffset;
        Entries = entries;
        Metadata = metadata;
        byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    public string Path { get; }

    /// <summary>The tensors in data order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    /// <summary>The "__metadata__" map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Where the data section starts in the file: 8 + header length.</summary>
    public long DataSectionOffset { get; }

    public static SafetensorsFile Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Safetensors file '{path}' does not exist.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        if (length < 8)
            throw new SafetensorsFormatException(path, $"the file is {length} bytes long, too short for the 8-byte header length");
        var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        MemoryMappedViewAccessor? view = null;
        byte* start = null;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            start += view.PointerOffset;
            long headerLength = ReadHeaderLength(new ReadOnlySpan<byte>(start, 8), length, path);
            var headerJson = new ReadOnlySpan<byte>(start + 8, (int)headerLength).ToArray();
            var (entries, metadata) = SafetensorsLayout.ParseHeader(headerJson, length - 8 - headerLength, path);
            return new SafetensorsFile(path, map, view, start, 8 + headerLength, entries, metadata);
        }
        catch
        {
            if (start != null)
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    private static long ReadHeaderLength(ReadOnlySpan<byte> prefix, long fileLength, string path)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)SafetensorsLayout.MaxHeaderBytes)
            throw new SafetensorsFormatException(path,
                $"the header length prefix says {headerLength} bytes, above the 100 MB limit (not a safetensors file, or corrupt)");
        if ((long)headerLength > fileLength - 8)
            throw new SafetensorsFormatException(path,
                $"the file is truncated: the header length prefix says {headerLength} bytes but only {fileLength - 8} follow it");
        return (long)headerLength;
    }

    public bool Contains(string name) => byName.ContainsKey(name);

    public bool TryGetEntry(string name, out SafetensorsEntry entry) => byName.TryGetValue(name, out entry!);

    public SafetensorsEntry GetEntry(string name) => byName.TryGetValue(name, out var entry)
        ? entry
        : throw new KeyNotFoundException($"Safetensors file '{Path}' has no tensor \"{name}\" ({Entries.Count} tensors in it).");

    /// <summary>The tensor's raw little-endian bytes (use MemoryMarshal.Cast for a typed view). Tensors of 2 GiB or more: use <see cref="GetPointer"/>.</summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var entry = GetEntry(name);
        if (entry.ByteLength > int.MaxValue)
            throw new NotSupportedException(
                $"Tensor \"{name}\" in '{Path}' is {entry.ByteLength} bytes, too large for a span; use GetPointer.");
        return new ReadOnlySpan<byte>(DataStart() + entry.DataOffset, (int)entry.ByteLength);
    }

    /// <summary>Address of the tensor's first byte in the mapping, e.g. to copy it into a native tensor.</summary>
    public nint GetPointer(string name) => (nint)(DataStart() + GetEntry(name).DataOffset);

    private byte* DataStart()
    {
        ObjectDisposedException.ThrowIf(data == null, this);
        return data;
    }

    public void Dispose()
    {
        if (data == null)
            return;
        data = null;
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        map.Dispose();
    }
}
