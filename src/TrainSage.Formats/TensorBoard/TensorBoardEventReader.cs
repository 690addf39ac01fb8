namespace TrainSage.Formats.TensorBoard;

/// <summary>Reads an event file back (CRCs checked), for tests and tools.</summary>
public static class TensorBoardEventReader
{
    public static IReadOnlyList<TensorBoardEvent> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var events = new List<TensorBoardEvent>();
        foreach (byte[] record in TfRecord.ReadAll(stream, path))
        {
            try
            {
                events.Add(TensorBoardEvent.Decode(record));
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"'{path}' event {events.Count}: not a valid Event message ({ex.Message}).", ex);
            }
        }
        return events;
    }
}
