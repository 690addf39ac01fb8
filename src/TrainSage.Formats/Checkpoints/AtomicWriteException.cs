namespace TrainSage.Formats.Checkpoints;

/// <summary>
/// An <see cref="AtomicDirectory.Write"/> that failed. The message names the target folder, the step that failed
/// (<see cref="Stage"/>), the cause (also <see cref="Exception.InnerException"/>) and the state left on disk.
/// </summary>
public sealed class AtomicWriteException(string targetPath, string stage, string stateOnDisk, Exception inner)
    : IOException($"Could not write '{targetPath}': failed to {stage}: {inner.Message} {stateOnDisk}", inner)
{
    public string TargetPath { get; } = targetPath;

    public string Stage { get; } = stage;
}
