using Xunit;

namespace TrainSage.Distributed.Tests;

/// <summary>
/// Two ranks under mpiexec, each a run of TrainSage.Distributed.Worker that checks its own results (and ends the job
/// through RankFailureGuard when a check fails). A few seconds each, most of it loading libtorch twice.
/// </summary>
public class MpiJobTests
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(120);

    [MpiFact]
    public void Collectives_on_cpu_tensors_match_what_every_rank_contributed()
    {
        var result = WorkerProcess.RunMpi("collectives", 2, NoHang);
        AssertSucceeded(result, "collectives");
    }

    [MpiFact]
    public void Gradients_averaged_over_two_half_batches_equal_single_process_gradients_of_the_whole_batch()
    {
        var result = WorkerProcess.RunMpi("gradients", 2, NoHang);
        AssertSucceeded(result, "gradients");
        // Each rank compared all four parameters' gradients with its own single-process computation.
        foreach (var rank in new[] { 0, 1 })
            Assert.Equal(4, result.Output.Split('\n').Count(l => l.Contains($"rank {rank}: ") && l.Contains("gradient relative error")));
    }

    [MpiFact]
    public void A_recipe_hash_mismatch_is_reported_on_every_rank_naming_the_rank_that_differs()
    {
        var result = WorkerProcess.RunMpi("recipe-mismatch", 2, NoHang);
        AssertSucceeded(result, "recipe-mismatch");
        foreach (var rank in new[] { 0, 1 })
            Assert.Contains($"rank {rank}: mismatch reported: the recipe hash differs across ranks: rank 1 has a different recipe hash", result.Output);
    }

    [MpiFact]
    public void An_exception_on_rank_1_ends_the_whole_job_with_the_rank_and_cause_named()
    {
        // Rank 0 waits in a barrier rank 1 never reaches: only MPI_Abort can end this job.
        var result = WorkerProcess.RunMpi("failure", 2, TimeSpan.FromSeconds(30));
        Assert.False(result.TimedOut, $"the job was still running after 30 s (a hang):\n{result.Output}");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("TrainSage rank 1 of 2", result.Output);
        Assert.Contains("InvalidOperationException: injected failure on purpose", result.Output);
        Assert.DoesNotContain("the barrier returned", result.Output);
    }

    [MpiFact]
    public void Nccl_setup_succeeds_on_every_rank_or_fails_on_every_rank_with_the_same_clear_error()
    {
        // On a CPU machine NCCL or the GPUs are missing; on a GPU machine both ranks all-reduce a CUDA tensor.
        var result = WorkerProcess.RunMpi("nccl-setup", 2, NoHang);
        Assert.False(result.TimedOut, $"NCCL setup hung:\n{result.Output}");
        Assert.True(result.ExitCode == 0, $"NCCL setup failed with exit code {result.ExitCode}:\n{result.Output}");
        var ready = new[] { 0, 1 }.Count(rank => result.Output.Contains($"rank {rank}: nccl ready on cuda:{rank}"));
        if (ready == 2) return;
        Assert.Equal(0, ready);
        foreach (var rank in new[] { 0, 1 })
            Assert.Contains($"rank {rank}: nccl setup failed: rank(s) 0, 1 could not set up NCCL: ", result.Output);
        Assert.True(result.Output.Contains("TRAINSAGE_NCCL_LIB") || result.Output.Contains("CUDA device(s)"),
            $"the error should say how to provide NCCL or which GPU is missing:\n{result.Output}");
    }

    private static void AssertSucceeded(WorkerResult result, string scenario)
    {
        Assert.False(result.TimedOut, $"{scenario} did not finish (a hang):\n{result.Output}");
        Assert.True(result.ExitCode == 0, $"{scenario} failed with exit code {result.ExitCode}:\n{result.Output}");
        Assert.Contains($"rank 0: {scenario} ok", result.Output);
        Assert.Contains($"rank 1: {scenario} ok", result.Output);
    }
}
