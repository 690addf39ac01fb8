namespace TrainSage.Formats.Checkpoints;

/// <summary>A checkpoint folder whose files do not match its manifest; <see cref="Problems"/> lists each mismatch.</summary>
public sealed class CorruptCheckpointException(string directory, IReadOnlyList<string> problems)
    : IOException($"Checkpoint '{directory}' is corrupt or incomplete: {string.Join("; ", problems)}. " +
                  "It cannot be trusted: resume or fine-tune from another checkpoint.")
{
    public string Directory { get; } = directory;

    public IReadOnlyList<string> Problems { get; } = problems;
}
