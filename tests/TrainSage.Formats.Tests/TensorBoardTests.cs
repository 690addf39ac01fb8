using System.Text.Json;
using TrainSage.Formats.TensorBoard;

namespace TrainSage.Formats.Tests;

public sealed class TensorBoardTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_250);

    public void Dispose() => temp.Dispose();

    [Fact]
    public void A_scalar_event_encodes_as_hand_computed_protobuf()
    {
        var e = TensorBoardEvent.ScalarsEvent(1.5, 300, [new TensorBoardScalar("loss", 0.25f)]);
        byte[] expected =
        [
            0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F,      // field 1 (double): wall_time 1.5 = 0x3FF8000000000000
            0x10, 0xAC, 0x02,                        // field 2 (varint): step 300 = 0b10_0101100
            0x2A, 0x0D,                              // field 5 (bytes): summary, 13 bytes
            0x0A, 0x0B,                              //   Summary field 1: value, 11 bytes
            0x0A, 0x04, (byte)'l', (byte)'o', (byte)'s', (byte)'s', // Value field 1: tag "loss"
            0x15, 0, 0, 0x80, 0x3E,                  //   Value field 2 (float): 0.25 = 0x3E800000
        ];
        Assert.Equal(expected, e.Encode());
    }

    [Fact]
    public void A_session_start_event_encodes_as_hand_computed_protobuf()
    {
        byte[] expected =
        [
            0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F,      // field 1 (double): wall_time 1.0
            0x10, 0x05,                              // field 2 (varint): step 5
            0x3A, 0x02,                              // field 7 (bytes): session_log, 2 bytes
            0x08, 0x01,                              //   SessionLog field 1 (enum): status START = 1
        ];
        Assert.Equal(expected, TensorBoardEvent.SessionStartEvent(1.0, 5).Encode());
    }

    [Fact]
    public void Writer_output_reads_back_as_the_events_logged()
    {
        string path;
        using (var writer = new TensorBoardWriter(temp.Path, timeProvider: new FixedTimeProvider(Now)))
        {
            path = writer.FilePath;
            writer.AddScalar("train/loss", 4.5f, 1);
            writer.AddScalars(2, [new("train/loss", 3.25f), new("train/lr", 6e-4f)]);
            writer.AddScalar("val/loss", float.NaN, -1); // negative steps are legal int64s
        }

        Assert.Equal($"events.out.tfevents.1700000000.{Environment.MachineName}", Path.GetFileName(path));
        var events = TensorBoardEventReader.Read(path);
        Assert.Equal(4, events.Count);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.All(events, e => Assert.Equal(1_700_000_000.25, e.WallTime));
        Assert.Equal([1L, 2L, -1L], events.Skip(1).Select(e => e.Step));
        Assert.Equal([new("train/loss", 4.5f)], events[1].Scalars);
        Assert.Equal([new("train/loss", 3.25f), new("train/lr", 6e-4f)], events[2].Scalars);
        Assert.True(float.IsNaN(events[3].Scalars.Single().Value));
    }

    [Fact]
    public void Every_event_is_on_disk_before_the_writer_is_closed()
    {
        using var writer = new TensorBoardWriter(temp.Path);
        writer.AddScalar("loss", 1f, 10);
        Assert.Equal(10, TensorBoardEventReader.Read(writer.FilePath)[^1].Step);
    }

    [Fact]
    public void A_resumed_run_writes_a_session_start_at_the_purge_step_and_a_new_file()
    {
        var clock = new FixedTimeProvider(Now);
        using var first = new TensorBoardWriter(temp.Path, timeProvider: clock);
        using var resumed = new TensorBoardWriter(temp.Path, purgeFromStep: 500, timeProvider: clock);

        Assert.Equal(first.FilePath + ".1", resumed.FilePath);
        var events = TensorBoardEventReader.Read(resumed.FilePath);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.True(events[1].IsSessionStart);
        Assert.Equal(500, events[1].Step);
    }

    [PythonModuleFact("tensorboard")]
    public void TensorBoard_itself_reads_the_scalars_and_purges_what_a_resumed_run_replaces()
    {
        using (var writer = new TensorBoardWriter(temp.Path))
            for (int step = 0; step < 10; step++)
                writer.AddScalars(step, [new("loss", 100 + step), new("lr", step * 1e-4f)]);
        using (var resumed = new TensorBoardWriter(temp.Path, purgeFromStep: 5))
            for (int step = 5; step < 8; step++)
                resumed.AddScalar("loss", 200 + step, step);

        const string program = """
            import json, sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            acc = EventAccumulator(sys.argv[1])
            acc.Reload()
            print(json.dumps({tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}))
            """;
        var result = Python.Run(program, temp.Path);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var scalars = JsonSerializer.Deserialize<Dictionary<string, double[][]>>(result.Stdout)!;
        double[][] expectedLoss = [.. Enumerable.Range(0, 5).Select(s => new double[] { s, 100 + s }), .. Enumerable.Range(5, 3).Select(s => new double[] { s, 200 + s })];
        Assert.Equal(expectedLoss, scalars["loss"]);
        Assert.Equal(Enumerable.Range(0, 5).Select(s => (double)(s * 1e-4f)), scalars["lr"].Select(p => p[1]));
    }
}
