using System.Text.Json;
using TrainSage.Formats.Metrics;
using TrainSage.Formats.TensorBoard;

namespace TrainSage.Training.Metrics;

/// <summary>A run folder's metrics: metrics.jsonl and TensorBoard event files (rank 0 writes them).</summary>
public sealed class MetricsLog : IDisposable
{
    public const string FileName = "metrics.jsonl";

    private readonly JsonlWriter jsonl;
    private readonly TensorBoardWriter tensorBoard;

    /// <summary>Opens the run's metrics; when resuming from <paramref name="resumeStep"/>, later lines (written after that checkpoint) are dropped.</summary>
    public MetricsLog(string runDirectory, long? resumeStep)
    {
        var path = Path.Combine(runDirectory, FileName);
        if (resumeStep is { } step && File.Exists(path)) KeepUpTo(path, step);
        else if (resumeStep is null) File.Delete(path);
        jsonl = new JsonlWriter(path);
        tensorBoard = new TensorBoardWriter(Path.Combine(runDirectory, "tensorboard"), purgeFromStep: resumeStep + 1);
    }

    public static IReadOnlyList<MetricsRecord> Read(string runDirectory) =>
        JsonlReader.Read<MetricsRecord>(Path.Combine(runDirectory, FileName), JsonlWriter.DefaultOptions);

    private static void KeepUpTo(string path, long step)
    {
        var kept = Read(Path.GetDirectoryName(path)!).Where(r => r.Step <= step)
            .Select(r => JsonSerializer.Serialize(r, JsonlWriter.DefaultOptions));
        File.WriteAllLines(path, kept);
    }

    public void Write(MetricsRecord record)
    {
        jsonl.Write(record);
        var scalars = new List<TensorBoardScalar>
        {
            new("train/loss", (float)record.TrainLoss),
            new("train/lr", (float)record.Lr),
            new("train/grad_norm", (float)record.GradNorm),
            new("train/tokens_per_s", (float)record.TokensPerS),
        };
        if (record.ValLoss is { } val) scalars.Add(new("val/loss", (float)val));
        tensorBoard.AddScalars(record.Step, scalars);
    }

    public void Dispose()
    {
        jsonl.Dispose();
        tensorBoard.Dispose();
    }
}
