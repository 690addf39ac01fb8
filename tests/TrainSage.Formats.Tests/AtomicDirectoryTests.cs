using System.Runtime.Versioning;
using TrainSage.Formats.Checkpoints;

namespace TrainSage.Formats.Tests;

public sealed class AtomicDirectoryTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static void WriteVersion(string directory, string version)
    {
        File.WriteAllText(Path.Combine(directory, "weights.bin"), version);
        Directory.CreateDirectory(Path.Combine(directory, "optimizer"));
        File.WriteAllText(Path.Combine(directory, "optimizer", "state.bin"), version + "-opt");
    }

    private static string ReadVersion(string directory) => File.ReadAllText(Path.Combine(directory, "weights.bin"));

    /// <summary>Only the checkpoint itself: no temporary or set-aside folders left behind.</summary>
    private void AssertNoLeftovers() =>
        Assert.Equal(["ckpt"], Directory.GetDirectories(temp.Path).Select(Path.GetFileName));

    [Fact]
    public void Writes_a_new_folder_and_replaces_an_existing_one()
    {
        string target = temp["ckpt"];
        AtomicDirectory.Write(target, dir => WriteVersion(dir, "v1"));
        Assert.Equal("v1", ReadVersion(target));

        AtomicDirectory.Write(target, dir => WriteVersion(dir, "v2"));
        Assert.Equal("v2", ReadVersion(target));
        Assert.Equal("v2-opt", File.ReadAllText(Path.Combine(target, "optimizer", "state.bin")));
        AssertNoLeftovers();
    }

    [Fact]
    public void A_writer_that_throws_midway_leaves_the_previous_version_intact()
    {
        string target = temp["ckpt"];
        AtomicDirectory.Write(target, dir => WriteVersion(dir, "v1"));

        var error = Assert.Throws<AtomicWriteException>(() => AtomicDirectory.Write(target, dir =>
        {
            File.WriteAllText(Path.Combine(dir, "weights.bin"), "half of v2");
            throw new InvalidOperationException("model exploded");
        }));

        Assert.Equal("v1", ReadVersion(target));
        Assert.Equal("v1-opt", File.ReadAllText(Path.Combine(target, "optimizer", "state.bin")));
        Assert.Contains(target, error.Message);
        Assert.Contains("write the files", error.Message);
        Assert.Contains("model exploded", error.Message);
        Assert.Contains("previous version is untouched", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        AssertNoLeftovers();
    }

    [DiskFullFact]
    public void A_full_disk_leaves_the_previous_version_intact()
    {
        string target = temp["ckpt"];
        AtomicDirectory.Write(target, dir => WriteVersion(dir, "v1"));

        // Writes through this link reach /dev/full and fail with the real ENOSPC error.
        var error = Assert.Throws<AtomicWriteException>(() => AtomicDirectory.Write(target, dir =>
        {
            string weights = Path.Combine(dir, "weights.bin");
            File.CreateSymbolicLink(weights, "/dev/full");
            using var stream = new FileStream(weights, FileMode.Open, FileAccess.Write);
            stream.Write(new byte[1 << 16]);
            stream.Flush();
        }));

        Assert.Equal("v1", ReadVersion(target));
        Assert.IsAssignableFrom<IOException>(error.InnerException);
        Assert.Contains("No space left on device", error.Message);
        AssertNoLeftovers();
    }

    [UnprivilegedFact]
    [UnsupportedOSPlatform("windows")] // the attribute skips it there
    public void A_read_only_parent_folder_is_reported_and_the_previous_version_survives()
    {
        string parent = temp["readonly"];
        string target = Path.Combine(parent, "ckpt");
        AtomicDirectory.Write(target, dir => WriteVersion(dir, "v1"));
        File.SetUnixFileMode(parent, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var error = Assert.Throws<AtomicWriteException>(() => AtomicDirectory.Write(target, dir => WriteVersion(dir, "v2")));

        Assert.Equal("v1", ReadVersion(target));
        Assert.Contains("create the temporary folder", error.Message);
        Assert.IsType<UnauthorizedAccessException>(error.InnerException);
    }

    [Fact]
    public void A_location_under_a_file_is_reported_without_calling_the_writer()
    {
        File.WriteAllText(temp["file"], "not a folder");
        bool called = false;
        var error = Assert.Throws<AtomicWriteException>(() =>
            AtomicDirectory.Write(Path.Combine(temp["file"], "ckpt"), _ => called = true));
        Assert.False(called);
        Assert.Contains("create the temporary folder", error.Message);
        Assert.Contains(Path.Combine(temp["file"], "ckpt"), error.Message);
    }

    [Fact]
    public void Recovery_restores_a_version_set_aside_by_a_crash_and_deletes_unfinished_writes()
    {
        // The states a crash inside Write can leave: an unfinished temporary folder, and the previous version
        // moved aside before the new one was renamed in.
        WriteVersion(Directory.CreateDirectory(temp[".tmp-ckpt-0123456789abcdef0123456789abcdef"]).FullName, "partial");
        WriteVersion(Directory.CreateDirectory(temp[".old-ckpt-0123456789abcdef0123456789abcdef"]).FullName, "v1");

        var actions = AtomicDirectory.RecoverInterrupted(temp.Path);

        Assert.Equal(2, actions.Count);
        Assert.Equal("v1", ReadVersion(temp["ckpt"]));
        AssertNoLeftovers();
    }

    [Fact]
    public void Recovery_deletes_a_set_aside_version_whose_replacement_arrived()
    {
        WriteVersion(Directory.CreateDirectory(temp["ckpt"]).FullName, "v2");
        WriteVersion(Directory.CreateDirectory(temp[".old-ckpt-0123456789abcdef0123456789abcdef"]).FullName, "v1");

        AtomicDirectory.RecoverInterrupted(temp.Path);

        Assert.Equal("v2", ReadVersion(temp["ckpt"]));
        AssertNoLeftovers();
    }
}
