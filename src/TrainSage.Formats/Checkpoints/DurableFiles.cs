using System.ComponentModel;
using System.Runtime.InteropServices;

namespace TrainSage.Formats.Checkpoints;

/// <summary>
/// Forces written files and directory entries to stable storage. A rename is durable only once the directory
/// holding it is fsynced too; .NET has no API for that, so directories go through libc's open/fsync.
/// </summary>
internal static partial class DurableFiles
{
    /// <summary>Fsyncs every file under <paramref name="root"/>, then every directory, deepest first.</summary>
    public static void FlushTree(string root)
    {
        foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            // Flush(true) issues fsync only on a handle opened for writing; opening without truncating is harmless.
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            stream.Flush(flushToDisk: true);
        }
        foreach (string directory in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Reverse())
            FlushDirectory(directory);
        FlushDirectory(root);
    }

    public static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
            return; // NTFS journals directory changes; Windows offers no directory fsync.
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
            throw new IOException($"Could not open directory '{directory}' to fsync it: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"fsync of directory '{directory}' failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
