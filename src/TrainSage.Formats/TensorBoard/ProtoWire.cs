using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace TrainSage.Formats.TensorBoard;

/// <summary>Protocol-buffer wire types used by the TensorBoard messages we write.</summary>
internal enum WireType { Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5 }

/// <summary>Just enough protobuf encoding for Event/Summary: a field is a varint key (number &lt;&lt; 3 | wire type) then its value.</summary>
internal sealed class ProtoWriter
{
    private readonly ArrayBufferWriter<byte> buffer = new();

    public ReadOnlySpan<byte> WrittenSpan => buffer.WrittenSpan;

    public void Double(int field, double value)
    {
        Key(field, WireType.Fixed64);
        BinaryPrimitives.WriteDoubleLittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    public void Float(int field, float value)
    {
        Key(field, WireType.Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(buffer.GetSpan(4), value);
        buffer.Advance(4);
    }

    /// <summary>int64 and enum fields: negative values are sign-extended to 10 bytes, as protobuf specifies.</summary>
    public void Int64(int field, long value)
    {
        Key(field, WireType.Varint);
        Varint((ulong)value);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, WireType.LengthDelimited);
        Varint((ulong)value.Length);
        buffer.Write(value);
    }

    private void Key(int field, WireType type) => Varint((ulong)((field << 3) | (int)type));

    private void Varint(ulong value)
    {
        var span = buffer.GetSpan(10);
        int n = 0;
        for (; value >= 0x80; value >>= 7)
            span[n++] = (byte)(value | 0x80);
        span[n++] = (byte)value;
        buffer.Advance(n);
    }
}

/// <summary>Reads the fields of one protobuf message; fields the caller does not want are skipped with <see cref="Skip"/>.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> message)
{
    private ReadOnlySpan<byte> rest = message;

    public bool Next(out int field, out WireType type)
    {
        if (rest.IsEmpty)
        {
            field = 0;
            type = default;
            return false;
        }
        ulong key = Varint();
        field = (int)(key >> 3);
        type = (WireType)(key & 7);
        return true;
    }

    public ulong Varint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = Take(1)[0];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
                return value;
        }
        throw new InvalidDataException("protobuf varint longer than 10 bytes");
    }

    public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public float Float() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    public ReadOnlySpan<byte> LengthDelimited()
    {
        ulong length = Varint();
        return length > (ulong)rest.Length
            ? throw new InvalidDataException($"protobuf field of {length} bytes overruns its message")
            : Take((int)length);
    }

    public void Skip(WireType type)
    {
        switch (type)
        {
            case WireType.Varint: Varint(); break;
            case WireType.Fixed64: Take(8); break;
            case WireType.LengthDelimited: LengthDelimited(); break;
            case WireType.Fixed32: Take(4); break;
            default: throw new InvalidDataException($"unsupported protobuf wire type {(int)type}");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > rest.Length)
            throw new InvalidDataException("protobuf message ends in the middle of a field");
        var taken = rest[..count];
        rest = rest[count..];
        return taken;
    }
}
