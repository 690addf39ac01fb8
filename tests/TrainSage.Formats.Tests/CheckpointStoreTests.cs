using TrainSage.Formats.Checkpoints;

namespace TrainSage.Formats.Tests;

public sealed class CheckpointStoreTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static void WriteCheckpoint(string directory, long step)
    {
        File.WriteAllText(Path.Combine(directory, "model.safetensors"), $"weights at {step}");
        Directory.CreateDirectory(Path.Combine(directory, "state"));
        File.WriteAllText(Path.Combine(directory, "state", "trainer.json"), $"{{\"step\":{step}}}");
    }

    [Theory]
    [InlineData(0, "step-000000")]
    [InlineData(123, "step-000123")]
    [InlineData(12345678, "step-12345678")]
    public void Folder_names_encode_the_step_and_parse_back(long step, string name)
    {
        Assert.Equal(name, CheckpointStore.FolderName(step));
        Assert.True(CheckpointStore.TryParseStep(name, out long parsed));
        Assert.Equal(step, parsed);
    }

    [Theory]
    [InlineData("step-7")]
    [InlineData("step-000007-old")]
    [InlineData("step--00007")]
    [InlineData(".tmp-step-000007-abc")]
    [InlineData("step-")]
    [InlineData("best")]
    public void Other_folder_names_are_not_checkpoints(string name) => Assert.False(CheckpointStore.TryParseStep(name, out _));

    [Fact]
    public void Retention_keeps_the_last_k_plus_the_best()
    {
        var store = new CheckpointStore(temp["checkpoints"], keepLast: 2);
        // Validation loss is best at step 200; later checkpoints are worse.
        foreach (long step in new long[] { 100, 200, 300, 400, 500 })
            store.Save(step, dir => WriteCheckpoint(dir, step), bestStep: step >= 200 ? 200 : step);

        Assert.Equal([200L, 400L, 500L], store.List().Select(c => c.Step));
        Assert.Equal(500, store.Latest()!.Step);
        Assert.Equal(["step-000200", "step-000400", "step-000500"], Directory.GetFileSystemEntries(store.Root).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Pruning_never_deletes_the_checkpoint_just_saved_even_when_older_ones_are_newer()
    {
        var store = new CheckpointStore(temp["checkpoints"], keepLast: 1);
        store.Save(300, dir => WriteCheckpoint(dir, 300));
        // A run resumed from an earlier point saves a lower step than the one on disk.
        var saved = store.Save(150, dir => WriteCheckpoint(dir, 150));
        Assert.True(Directory.Exists(saved.Path));
    }

    [Fact]
    public void A_failed_save_prunes_nothing()
    {
        var store = new CheckpointStore(temp["checkpoints"], keepLast: 1);
        store.Save(100, dir => WriteCheckpoint(dir, 100));
        Assert.Throws<AtomicWriteException>(() => store.Save(200, _ => throw new IOException("disk on fire")));
        Assert.Equal([100L], store.List().Select(c => c.Step));
    }

    [Fact]
    public void A_saved_checkpoint_verifies_and_its_manifest_lists_every_file()
    {
        var store = new CheckpointStore(temp["checkpoints"], keepLast: 3);
        var saved = store.Save(42, dir => WriteCheckpoint(dir, 42));

        var manifest = CheckpointManifest.Verify(saved.Path);
        Assert.Equal(["model.safetensors", "state/trainer.json"], manifest.Files.Select(f => f.Path));
        var model = manifest.Files[0];
        Assert.Equal("weights at 42".Length, model.Bytes);
        // SHA-256 of the ASCII text "weights at 42", from sha256sum.
        Assert.Equal("aee64b1114354bd2082265fcf8122875c1fcd40a822af2f2697404ef004d1c02", model.Sha256);
    }

    [Theory]
    [InlineData("flip", "model.safetensors: SHA-256")]
    [InlineData("truncate", "model.safetensors: 10 bytes, the manifest says 13 (truncated")]
    [InlineData("delete", "state/trainer.json: missing")]
    [InlineData("no-manifest", "manifest.json is missing")]
    [InlineData("bad-manifest", "manifest.json is not valid JSON")]
    public void A_damaged_checkpoint_fails_verification_naming_the_file(string damage, string expected)
    {
        var store = new CheckpointStore(temp["checkpoints"], keepLast: 3);
        string dir = store.Save(42, d => WriteCheckpoint(d, 42)).Path;
        string model = Path.Combine(dir, "model.safetensors");
        switch (damage)
        {
            case "flip":
                byte[] bytes = File.ReadAllBytes(model);
                bytes[3] ^= 1;
                File.WriteAllBytes(model, bytes);
                break;
            case "truncate":
                File.WriteAllBytes(model, File.ReadAllBytes(model)[..10]);
                break;
            case "delete":
                File.Delete(Path.Combine(dir, "state", "trainer.json"));
                break;
            case "no-manifest":
                File.Delete(Path.Combine(dir, CheckpointManifest.FileName));
                break;
            case "bad-manifest":
                File.WriteAllText(Path.Combine(dir, CheckpointManifest.FileName), "{\"version\":1,");
                break;
        }

        var error = Assert.Throws<CorruptCheckpointException>(() => CheckpointManifest.Verify(dir));
        Assert.Contains(dir, error.Message);
        Assert.Contains(expected, error.Message);
        Assert.Contains("resume or fine-tune from another checkpoint", error.Message);
    }

    [Fact]
    public void A_manifest_path_leaving_the_folder_is_refused()
    {
        string dir = Directory.CreateDirectory(temp["ckpt"]).FullName;
        File.WriteAllText(temp["outside.bin"], "x");
        new CheckpointManifest(1, [new CheckpointManifestEntry("../outside.bin", 1, new string('0', 64))]).Save(dir);
        var error = Assert.Throws<CorruptCheckpointException>(() => CheckpointManifest.Verify(dir));
        Assert.Contains("../outside.bin: listed path leaves the checkpoint folder", error.Message);
    }
}
