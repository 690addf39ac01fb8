using System.Text;
using TrainSage.Formats.Metrics;

namespace TrainSage.Formats.Tests;

public sealed class JsonlTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private sealed record Metrics(long Step, double TrainLoss, double? ValLoss, double TokensPerSecond);

    [Fact]
    public void Records_round_trip_one_snake_case_object_per_line_including_nan()
    {
        string path = temp["metrics.jsonl"];
        Metrics[] written = [new(1, 4.25, null, 1000.5), new(2, double.NaN, 3.5, double.PositiveInfinity)];
        using (var writer = new JsonlWriter(path))
            foreach (var m in written)
                writer.Write(m);

        string[] lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        Assert.Equal("{\"step\":1,\"train_loss\":4.25,\"val_loss\":null,\"tokens_per_second\":1000.5}", lines[0]);
        Assert.Equal(written, JsonlReader.Read<Metrics>(path));
    }

    [Fact]
    public void Each_line_is_in_the_file_as_soon_as_it_is_written()
    {
        string path = temp["live.jsonl"];
        using var writer = new JsonlWriter(path);
        writer.Write(new Metrics(7, 1, null, 2));
        Assert.Equal(7, JsonlReader.Read<Metrics>(path).Single().Step);
    }

    [Fact]
    public void Reopening_appends_and_drops_a_partial_line_left_by_a_crash()
    {
        string path = temp["crashed.jsonl"];
        using (var writer = new JsonlWriter(path))
            writer.Write(new Metrics(1, 2, null, 3));
        File.AppendAllText(path, "{\"step\":2,\"train_lo"); // the process died mid-line
        using (var writer = new JsonlWriter(path))
            writer.Write(new Metrics(2, 1.5, null, 3));
        Assert.Equal([1L, 2L], JsonlReader.Read<Metrics>(path).Select(m => m.Step));
    }

    [Fact]
    public void A_malformed_line_is_reported_with_its_number()
    {
        string path = temp["bad.jsonl"];
        File.WriteAllText(path, "{\"step\":1,\"train_loss\":1,\"tokens_per_second\":1}\n\n{\"step\":\"two\"}\n", Encoding.UTF8);
        var error = Assert.Throws<InvalidDataException>(() => JsonlReader.Read<Metrics>(path));
        Assert.Contains($"'{path}' line 3", error.Message);
    }

    [Fact]
    public void Values_that_are_not_objects_are_refused()
    {
        using var writer = new JsonlWriter(temp["x.jsonl"]);
        Assert.Contains("must serialize to JSON objects", Assert.Throws<ArgumentException>(() => writer.Write(42)).Message);
    }
}
