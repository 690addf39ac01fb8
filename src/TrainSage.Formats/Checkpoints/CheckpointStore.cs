using System.Globalization;

namespace TrainSage.Formats.Checkpoints;

/// <summary>A checkpoint folder of a run, named by its training step.</summary>
public sealed record CheckpointFolder(long Step, string Path);

/// <summary>
/// The checkpoints of one run: folders <c>step-000123</c> under <see cref="Root"/>, each written atomically with a
/// manifest of checksums, keeping the newest <see cref="KeepLast"/> plus the best one.
/// </summary>
public sealed class CheckpointStore
{
    private const string Prefix = "step-";

    public CheckpointStore(string root, int keepLast)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keepLast, 1);
        Root = Path.GetFullPath(root);
        KeepLast = keepLast;
    }

    public string Root { get; }

    public int KeepLast { get; }

    public static string FolderName(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return Prefix + step.ToString("D6", CultureInfo.InvariantCulture);
    }

    /// <summary>Only the exact names <see cref="FolderName"/> produces count, so "step-7" or "step-000007-old" are never taken for checkpoints.</summary>
    public static bool TryParseStep(string folderName, out long step) =>
        long.TryParse(folderName.AsSpan(Math.Min(Prefix.Length, folderName.Length)), NumberStyles.None, CultureInfo.InvariantCulture, out step)
        && folderName == FolderName(step);

    public string PathFor(long step) => Path.Combine(Root, FolderName(step));

    /// <summary>The checkpoints present, oldest first.</summary>
    public IReadOnlyList<CheckpointFolder> List()
    {
        if (!Directory.Exists(Root))
            return [];
        return Directory.GetDirectories(Root)
            .Select(path => TryParseStep(Path.GetFileName(path), out long step) ? new CheckpointFolder(step, path) : null)
            .OfType<CheckpointFolder>()
            .OrderBy(c => c.Step)
            .ToList();
    }

    public CheckpointFolder? Latest() => List().LastOrDefault();

    /// <summary>
    /// Writes the checkpoint of <paramref name="step"/> atomically (see <see cref="AtomicDirectory.Write"/>), with a
    /// <see cref="CheckpointManifest"/> of everything <paramref name="writeFiles"/> put in the folder; only once it is in
    /// place are older checkpoints pruned (see <see cref="Prune"/>). <paramref name="bestStep"/>: the step of the best
    /// checkpoint so far (by validation loss), kept whatever its age.
    /// </summary>
    public CheckpointFolder Save(long step, Action<string> writeFiles, long? bestStep = null)
    {
        var saved = new CheckpointFolder(step, PathFor(step));
        AtomicDirectory.Write(saved.Path, temp =>
        {
            writeFiles(temp);
            CheckpointManifest.Compute(temp).Save(temp);
        });
        Prune(bestStep, alsoKeep: step);
        return saved;
    }

    /// <summary>
    /// Deletes every checkpoint except the newest <see cref="KeepLast"/>, <paramref name="bestStep"/> and
    /// <paramref name="alsoKeep"/>. Each is renamed to a temporary name before deletion, so a crash midway never leaves
    /// a half-deleted folder that looks like a checkpoint. Returns the deleted ones.
    /// </summary>
    public IReadOnlyList<CheckpointFolder> Prune(long? bestStep, long? alsoKeep = null)
    {
        var all = List();
        var keep = all.TakeLast(KeepLast).Select(c => c.Step).ToHashSet();
        if (bestStep is { } best)
            keep.Add(best);
        if (alsoKeep is { } extra)
            keep.Add(extra);
        var deleted = all.Where(c => !keep.Contains(c.Step)).ToList();
        foreach (var checkpoint in deleted)
        {
            string doomed = Path.Combine(Root, $".tmp-delete-{FolderName(checkpoint.Step)}-{Guid.NewGuid():N}");
            Directory.Move(checkpoint.Path, doomed);
            Directory.Delete(doomed, recursive: true);
        }
        return deleted;
    }

    /// <summary>Run at start-up: cleans up after a crash during a save (see <see cref="AtomicDirectory.RecoverInterrupted"/>).</summary>
    public IReadOnlyList<string> RecoverInterrupted() => AtomicDirectory.RecoverInterrupted(Root);
}
