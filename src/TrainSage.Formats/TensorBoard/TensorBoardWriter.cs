namespace TrainSage.Formats.TensorBoard;

/// <summary>
/// Writes scalars to a TensorBoard event file, <c>events.out.tfevents.&lt;unix seconds&gt;.&lt;host&gt;</c> in the log
/// directory, the way TensorFlow's writer does: a first event carrying file_version "brain.Event:2", then one event
/// per call. Every event is flushed to the operating system as it is written, so a crashed process loses nothing
/// it logged. Not thread-safe: log from one thread.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    public const string FileVersion = "brain.Event:2";

    private readonly FileStream file;
    private readonly TimeProvider time;

    /// <param name="logDirectory">Created if missing. TensorBoard reads every event file in it, in name order.</param>
    /// <param name="purgeFromStep">
    /// When resuming a run, the step it resumes from: TensorBoard then hides events of earlier files with step at
    /// or after it, which the interrupted run logged after its last checkpoint.
    /// </param>
    /// <param name="timeProvider">Source of wall times and the file name's timestamp (default: the system clock).</param>
    public TensorBoardWriter(string logDirectory, long? purgeFromStep = null, TimeProvider? timeProvider = null)
    {
        time = timeProvider ?? TimeProvider.System;
        Directory.CreateDirectory(logDirectory);
        (FilePath, file) = CreateEventFile(logDirectory, time.GetUtcNow());
        Append(TensorBoardEvent.FileVersionEvent(WallTime(), FileVersion));
        if (purgeFromStep is { } step)
            Append(TensorBoardEvent.SessionStartEvent(WallTime(), step));
    }

    public string FilePath { get; }

    public void AddScalar(string tag, float value, long step) => AddScalars(step, [new TensorBoardScalar(tag, value)]);

    /// <summary>Several scalars of one step, written as one event.</summary>
    public void AddScalars(long step, IReadOnlyList<TensorBoardScalar> scalars)
    {
        foreach (var scalar in scalars)
            ArgumentException.ThrowIfNullOrEmpty(scalar.Tag, nameof(scalars));
        Append(TensorBoardEvent.ScalarsEvent(WallTime(), step, scalars));
    }

    public void Dispose() => file.Dispose();

    private void Append(TensorBoardEvent e)
    {
        TfRecord.Write(file, e.Encode());
        file.Flush();
    }

    private double WallTime() => (time.GetUtcNow() - DateTimeOffset.UnixEpoch).TotalSeconds;

    /// <summary>A new file, never an existing one: two writers started in the same second get ".1", ".2" suffixes.</summary>
    private static (string Path, FileStream File) CreateEventFile(string directory, DateTimeOffset now)
    {
        string baseName = Path.Combine(directory, $"events.out.tfevents.{now.ToUnixTimeSeconds()}.{Environment.MachineName}");
        for (int attempt = 0; ; attempt++)
        {
            string path = attempt == 0 ? baseName : $"{baseName}.{attempt}";
            try
            {
                return (path, new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read));
            }
            catch (IOException) when (File.Exists(path) && attempt < 1000)
            {
            }
        }
    }
}
