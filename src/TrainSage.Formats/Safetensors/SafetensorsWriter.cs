using System.Buffers.Binary;

namespace TrainSage.Formats.Safetensors;

/// <summary>Writes Hugging Face safetensors files, streaming each tensor's bytes from its callback.</summary>
public static class SafetensorsWriter
{
    private const int BufferBytes = 1 << 20;

    /// <summary>
    /// Writes <paramref name="tensors"/> (laid out in Hugging Face's order: widest dtype first, then by name) and
    /// the optional string <paramref name="metadata"/> (stored under "__metadata__") to <paramref name="path"/>.
    /// Bad declarations (unknown dtype, duplicate name, negative dimension) throw before the file is created; a
    /// callback that writes the wrong number of bytes, or any failure while writing, deletes the partial file.
    /// Durability (fsync) is the caller's choice, e.g. through <c>AtomicDirectory</c>.
    /// </summary>
    public static void Write(string path, IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = SafetensorsLayout.WriteOrder(tensors);
        var entries = new List<SafetensorsEntry>(ordered.Count);
        long offset = 0;
        foreach (var t in ordered)
        {
            entries.Add(new SafetensorsEntry(t.Name, t.DType, t.Shape.ToArray(), offset, t.ByteLength));
            offset = checked(offset + t.ByteLength);
        }
        byte[] header = SafetensorsLayout.BuildHeader(entries, metadata);

        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, BufferBytes);
        try
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            file.Write(length);
            file.Write(header);
            long dataStart = file.Position;
            for (int i = 0; i < ordered.Count; i++)
            {
                ordered[i].WriteData(file);
                long written = file.Position - dataStart - entries[i].DataOffset;
                if (written != entries[i].ByteLength)
                    throw new InvalidOperationException(
                        $"Writing '{path}': the data callback of tensor \"{entries[i].Name}\" wrote {written} bytes, but " +
                        $"{entries[i].DType} [{string.Join(", ", entries[i].Shape)}] is {entries[i].ByteLength} bytes.");
            }
            file.Dispose();
        }
        catch
        {
            file.Dispose();
            File.Delete(path);
            throw;
        }
    }
}
