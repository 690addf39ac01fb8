using System.Text;

namespace TrainSage.Formats.TensorBoard;

public sealed record TensorBoardScalar(string Tag, float Value);

/// <summary>
/// The parts of tensorflow.Event we use. Wire layout (event.proto / summary.proto):
/// Event { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3; Summary summary = 5; SessionLog session_log = 7; } }
/// Summary { repeated Value value = 1; }  Value { string tag = 1; float simple_value = 2; }
/// SessionLog { SessionStatus status = 1; }  (START = 1: TensorBoard discards events logged earlier with step &gt;= this one)
/// </summary>
public sealed record TensorBoardEvent(double WallTime, long Step, string? FileVersion, IReadOnlyList<TensorBoardScalar> Scalars, bool IsSessionStart)
{
    private const int WallTimeField = 1, StepField = 2, FileVersionField = 3, SummaryField = 5, SessionLogField = 7;
    private const int SummaryValueField = 1, ValueTagField = 1, ValueSimpleValueField = 2;
    private const int SessionLogStatusField = 1, SessionLogStart = 1;

    public static TensorBoardEvent FileVersionEvent(double wallTime, string version) => new(wallTime, 0, version, [], false);

    public static TensorBoardEvent ScalarsEvent(double wallTime, long step, IReadOnlyList<TensorBoardScalar> scalars) =>
        new(wallTime, step, null, scalars, false);

    public static TensorBoardEvent SessionStartEvent(double wallTime, long step) => new(wallTime, step, null, [], true);

    public byte[] Encode()
    {
        var message = new ProtoWriter();
        message.Double(WallTimeField, WallTime);
        message.Int64(StepField, Step);
        if (FileVersion is not null)
            message.String(FileVersionField, FileVersion);
        if (Scalars.Count > 0)
        {
            var summary = new ProtoWriter();
            foreach (var scalar in Scalars)
            {
                var value = new ProtoWriter();
                value.String(ValueTagField, scalar.Tag);
                value.Float(ValueSimpleValueField, scalar.Value);
                summary.Bytes(SummaryValueField, value.WrittenSpan);
            }
            message.Bytes(SummaryField, summary.WrittenSpan);
        }
        if (IsSessionStart)
        {
            var sessionLog = new ProtoWriter();
            sessionLog.Int64(SessionLogStatusField, SessionLogStart);
            message.Bytes(SessionLogField, sessionLog.WrittenSpan);
        }
        return message.WrittenSpan.ToArray();
    }

    /// <summary>Decodes an Event; fields other than those above (images, histograms, ...) are skipped.</summary>
    public static TensorBoardEvent Decode(ReadOnlySpan<byte> bytes)
    {
        double wallTime = 0;
        long step = 0;
        string? fileVersion = null;
        var scalars = new List<TensorBoardScalar>();
        bool sessionStart = false;
        var reader = new ProtoReader(bytes);
        while (reader.Next(out int field, out var type))
        {
            switch (field, type)
            {
                case (WallTimeField, WireType.Fixed64): wallTime = reader.Double(); break;
                case (StepField, WireType.Varint): step = (long)reader.Varint(); break;
                case (FileVersionField, WireType.LengthDelimited): fileVersion = Encoding.UTF8.GetString(reader.LengthDelimited()); break;
                case (SummaryField, WireType.LengthDelimited): ReadSummary(reader.LengthDelimited(), scalars); break;
                case (SessionLogField, WireType.LengthDelimited): sessionStart = ReadSessionStatus(reader.LengthDelimited()) == SessionLogStart; break;
                default: reader.Skip(type); break;
            }
        }
        return new TensorBoardEvent(wallTime, step, fileVersion, scalars, sessionStart);
    }

    private static void ReadSummary(ReadOnlySpan<byte> summary, List<TensorBoardScalar> scalars)
    {
        var reader = new ProtoReader(summary);
        while (reader.Next(out int field, out var type))
        {
            if (field != SummaryValueField || type != WireType.LengthDelimited)
            {
                reader.Skip(type);
                continue;
            }
            string tag = "";
            float? simpleValue = null;
            var value = new ProtoReader(reader.LengthDelimited());
            while (value.Next(out int valueField, out var valueType))
            {
                if (valueField == ValueTagField && valueType == WireType.LengthDelimited)
                    tag = Encoding.UTF8.GetString(value.LengthDelimited());
                else if (valueField == ValueSimpleValueField && valueType == WireType.Fixed32)
                    simpleValue = value.Float();
                else
                    value.Skip(valueType);
            }
            if (simpleValue is { } v)
                scalars.Add(new TensorBoardScalar(tag, v));
        }
    }

    private static long ReadSessionStatus(ReadOnlySpan<byte> sessionLog)
    {
        long status = 0;
        var reader = new ProtoReader(sessionLog);
        while (reader.Next(out int field, out var type))
        {
            if (field == SessionLogStatusField && type == WireType.Varint)
                status = (long)reader.Varint();
            else
                reader.Skip(type);
        }
        return status;
    }
}
