namespace TrainSage.Formats.Checkpoints;

/// <summary>
/// Writes a folder all-or-nothing: readers see either the previous version or the complete new one.
/// The new folder is built in a hidden sibling (<c>.tmp-&lt;name&gt;-&lt;guid&gt;</c>), every file and directory in it is
/// fsynced, then it is renamed into place. Renames stay on one file system because the sibling shares the parent.
/// </summary>
public static class AtomicDirectory
{
    private const string TempPrefix = ".tmp-";
    private const string AsidePrefix = ".old-";

    /// <summary>
    /// Calls <paramref name="writeFiles"/> with an empty temporary folder, makes its contents durable and moves it to
    /// <paramref name="finalPath"/>, replacing any existing folder there (moved aside first, deleted last).
    /// Any failure - the callback throwing, a full disk, a read-only location - throws <see cref="AtomicWriteException"/>
    /// after removing the temporary folder; an existing folder at <paramref name="finalPath"/> is then left as it was.
    /// </summary>
    public static void Write(string finalPath, Action<string> writeFiles)
    {
        finalPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(finalPath));
        string parent = Path.GetDirectoryName(finalPath)
            ?? throw new ArgumentException($"'{finalPath}' has no parent folder to write beside.", nameof(finalPath));
        string name = Path.GetFileName(finalPath);
        string temp = Path.Combine(parent, $"{TempPrefix}{name}-{Guid.NewGuid():N}");
        const string untouched = "Nothing was changed: any previous version is untouched and the temporary folder was removed.";

        string stage = $"create the temporary folder '{temp}'";
        try
        {
            Directory.CreateDirectory(parent);
            Directory.CreateDirectory(temp);
            stage = $"write the files into '{temp}'";
            writeFiles(temp);
            stage = $"fsync the files in '{temp}'";
            DurableFiles.FlushTree(temp);
        }
        catch (Exception ex)
        {
            TryDelete(temp);
            throw new AtomicWriteException(finalPath, stage, untouched, ex);
        }

        string? aside = null;
        try
        {
            if (Directory.Exists(finalPath))
            {
                aside = Path.Combine(parent, $"{AsidePrefix}{name}-{Guid.NewGuid():N}");
                stage = $"move the previous version aside to '{aside}'";
                Directory.Move(finalPath, aside);
            }
            stage = $"rename '{temp}' into place";
            Directory.Move(temp, finalPath);
        }
        catch (Exception ex)
        {
            TryDelete(temp);
            if (aside is not null && Directory.Exists(aside) && !Directory.Exists(finalPath))
            {
                try
                {
                    Directory.Move(aside, finalPath);
                }
                catch (Exception restoreError)
                {
                    throw new AtomicWriteException(finalPath, stage,
                        $"Moving the previous version back also failed ({restoreError.Message}); it is intact at '{aside}' " +
                        "and RecoverInterrupted restores it.", ex);
                }
            }
            throw new AtomicWriteException(finalPath, stage, untouched, ex);
        }

        try
        {
            stage = $"fsync the parent folder '{parent}'";
            DurableFiles.FlushDirectory(parent);
            if (aside is not null)
            {
                stage = $"delete the previous version, moved aside to '{aside}'";
                Directory.Delete(aside, recursive: true);
            }
        }
        catch (Exception ex)
        {
            throw new AtomicWriteException(finalPath, stage,
                "The new version is in place; RecoverInterrupted removes what is left over.", ex);
        }
    }

    /// <summary>
    /// Cleans up after a crash inside <see cref="Write"/> in <paramref name="parentDirectory"/>: deletes unfinished
    /// temporary folders, and for a previous version moved aside, restores it if the new one never arrived or deletes it
    /// if it did. Returns a line per action, for the log.
    /// </summary>
    public static IReadOnlyList<string> RecoverInterrupted(string parentDirectory)
    {
        var actions = new List<string>();
        if (!Directory.Exists(parentDirectory))
            return actions;
        foreach (string path in Directory.GetDirectories(parentDirectory, TempPrefix + "*"))
        {
            Directory.Delete(path, recursive: true);
            actions.Add($"deleted unfinished write '{path}'");
        }
        foreach (string path in Directory.GetDirectories(parentDirectory, AsidePrefix + "*"))
        {
            string folder = Path.GetFileName(path);
            int guidStart = folder.LastIndexOf('-');
            if (guidStart <= AsidePrefix.Length)
                continue; // not a name Write produced
            string original = Path.Combine(parentDirectory, folder[AsidePrefix.Length..guidStart]);
            if (Directory.Exists(original))
            {
                Directory.Delete(path, recursive: true);
                actions.Add($"deleted replaced version '{path}'");
            }
            else
            {
                Directory.Move(path, original);
                actions.Add($"restored '{original}' from '{path}' (its replacement never arrived)");
            }
        }
        return actions;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // The original failure is what the caller needs to see; RecoverInterrupted removes this leftover later.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
