using TrainSage.Formats.Checkpoints;

namespace TrainSage.Training.Checkpoints;

/// <summary>Accepts a checkpoint folder, a run's checkpoints folder, or a run folder, and returns the checkpoint folder.</summary>
public static class CheckpointLocator
{
    public static string Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(Path.Combine(full, TrainingCheckpoint.StateFile))) return full;
        foreach (var root in new[] { full, Path.Combine(full, "checkpoints") })
        {
            if (!Directory.Exists(root)) continue;
            var latest = new CheckpointStore(root, keepLast: int.MaxValue).Latest();
            if (latest is not null) return latest.Path;
        }
        throw new FileNotFoundException($"no TrainSage checkpoint at {full}: give a checkpoint folder (step-NNNNNN), or a run folder that has checkpoints/");
    }
}
