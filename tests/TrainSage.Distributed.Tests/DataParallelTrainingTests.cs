using System.Diagnostics;
using TrainSage.Formats.Checkpoints;
using TrainSage.Training.Metrics;
using Xunit;

namespace TrainSage.Distributed.Tests;

/// <summary>
/// The trainsage CLI under `mpiexec -n 2` against one process, on the same global batch: same loss sequence, a
/// killed rank ends the job promptly, and training resumes on 2 ranks from the last checkpoint.
/// </summary>
public sealed class DataParallelTrainingTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private readonly string root = Directory.CreateTempSubdirectory("trainsage-dp-").FullName;
    private readonly string recipe;

    public DataParallelTrainingTests() => recipe = WriteRecipe(root);

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>A tiny char-level recipe over a 100 KB slice of tinyshakespeare, written into <paramref name="folder"/>.</summary>
    internal static string WriteRecipe(string folder)
    {
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repo.FullName, "TrainSage.sln"))) repo = repo.Parent!;
        var text = File.ReadAllText(Path.Combine(repo.FullName, "corpora", "tinyshakespeare.txt"));
        File.WriteAllText(Path.Combine(folder, "corpus.txt"), text[..100_000]);
        var recipe = Path.Combine(folder, "recipe.yaml");
        // decay_steps is fixed so that runs of different max_steps share one LR schedule.
        File.WriteAllText(recipe, """
            name: run
            seed: 3
            out_dir: runs
            model: {flavour: gpt2, vocab_size: 96, n_layer: 2, n_head: 2, n_embd: 32, block_size: 32, attention: {default: math} }
            data: {dataset: data/chars, inputs: [corpus.txt], tokenizer: char}
            training: {max_steps: 20, batch_size: 8, log_interval: 1}
            optimizer: {lr: 3.0e-3, min_lr: 3.0e-4, warmup_steps: 2, decay_steps: 400}
            eval: {interval: 10, batches: 2}
            checkpoint: {interval: 10, keep_last: 3}
            """);
        return recipe;
    }

    private static string Cli => Path.Combine(AppContext.BaseDirectory, "trainsage.dll");

    private string[] Args(string name, params string[] more) => ["pretrain", recipe, "--set", $"name={name}", .. more.SelectMany(m => new[] { "--set", m })];

    private IReadOnlyList<double> Losses(string name) => MetricsLog.Read(Path.Combine(root, "runs", name)).Select(r => r.TrainLoss).ToList();

    private static void Ok(WorkerResult result)
    {
        Assert.False(result.TimedOut, "the job hung:\n" + result.Output);
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}:\n{result.Output}");
    }

    private static void SameLosses(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * Math.Abs(expected[i]), $"step {i + 1}: {expected[i]} vs {actual[i]}");
    }

    [MpiFact]
    public void Two_ranks_reproduce_the_loss_sequence_of_one_rank()
    {
        Ok(WorkerProcess.RunProgram(Cli, Args("one", "training.max_steps=50"), Limit));
        Ok(WorkerProcess.Run(WorkerProcess.MpiStart(2, Cli, Args("two", "training.max_steps=50")), Limit));
        var one = Losses("one");
        Assert.Equal(50, one.Count);
        SameLosses(one, Losses("two"));
        Assert.True(File.Exists(Path.Combine(root, "runs", "two", "train-rank1.log")), "every rank writes its own log file");
    }

    [MpiFact]
    public void A_killed_rank_ends_the_job_and_two_ranks_resume_from_the_intact_checkpoint()
    {
        // A long run that we cut: once step 12 is logged (checkpoint 10 is written), SIGKILL one rank. Steps take
        // milliseconds, so the run may pass further checkpoints before the kill lands: the resume below starts from
        // whichever is the latest and runs 10 steps past it, against a one-process baseline of the same length.
        var clock = new Stopwatch();
        var killed = WorkerProcess.Run(WorkerProcess.MpiStart(2, Cli, Args("cut", "training.max_steps=400")), Limit, mpiexec =>
        {
            var metrics = Path.Combine(root, "runs", "cut", MetricsLog.FileName);
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < Limit && !(File.Exists(metrics) && File.ReadAllLines(metrics).Length >= 12)) Thread.Sleep(100);
            var rank = ChildProcesses(mpiexec.Id).Last();
            Process.GetProcessById(rank).Kill();
            clock.Start();
        });
        Assert.False(killed.TimedOut, "the job hung after a rank was killed:\n" + killed.Output);
        Assert.NotEqual(0, killed.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the job took {clock.Elapsed} to end after a rank died");
        var latest = new CheckpointStore(Path.Combine(root, "runs", "cut", "checkpoints"), keepLast: int.MaxValue).Latest();
        Assert.True(latest is { Step: >= 10 }, "checkpoint 10 was written before the kill");
        CheckpointManifest.Verify(latest.Path);

        var steps = $"training.max_steps={latest.Step + 10}";
        Ok(WorkerProcess.RunProgram(Cli, Args("baseline", steps), Limit));
        Ok(WorkerProcess.Run(WorkerProcess.MpiStart(2, Cli, Args("cut", steps).Append("--resume")), Limit));
        var baseline = Losses("baseline");
        Assert.Equal(latest.Step + 10, baseline.Count);
        SameLosses(baseline, Losses("cut"));
    }

    private static List<int> ChildProcesses(int pid) =>
        File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
}
