using TrainSage.Torch;
using Xunit;

namespace TrainSage.Distributed.Tests;

/// <summary>Everything that runs in one process: the single group, bucketing, batch shares, backend choice.</summary>
public class SingleProcessTests
{
    [Fact]
    public void The_single_group_gathers_into_a_leading_dimension_of_one_and_checks_arguments()
    {
        using var scope = torch.NewDisposeScope();
        using var group = new SingleProcessGroup();
        var t = torch.arange(6, ScalarType.Float32).reshape(2, 3);
        var gathered = group.AllGather(t);
        Assert.Equal(new long[] { 1, 2, 3 }, gathered.shape);
        Assert.Equal(t.ToArray<float>(), gathered.ToArray<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => group.Broadcast(t, root: 1));
        Assert.Throws<ArgumentException>(() => group.AllReduceAverage(torch.zeros([2], ScalarType.Int64)));
        Assert.Equal("same", group.Broadcast("same"));
    }

    [Fact]
    public void Buckets_fill_up_to_the_byte_limit_per_dtype_and_leave_frozen_parameters_out()
    {
        using var scope = torch.NewDisposeScope();
        Tensor[] parameters =
        [
            torch.zeros([100]).requires_grad_(),   // 400 bytes
            torch.zeros([50]).requires_grad_(),    // 200 bytes: fits with the first under 600
            torch.zeros([10]),                     // frozen: no gradient to average
            torch.zeros([300]).requires_grad_(),   // 1200 bytes: larger than a bucket, so alone
            torch.zeros([20], ScalarType.Float64).requires_grad_(),  // another dtype, another bucket
        ];
        using var bucketer = new GradientBucketer(new SingleProcessGroup(), parameters, bucketBytes: 600);
        Assert.Equal(new long[] { 150, 300, 20 }, bucketer.BucketSizes);
    }

    [Fact]
    public void Bucketed_averaging_over_one_rank_leaves_gradients_as_they_were()
    {
        using var scope = torch.NewDisposeScope();
        var w = torch.randn([8, 4]).requires_grad_();
        torch.nn.functional.linear(torch.randn([3, 4]), w).sum().backward();
        var before = w.grad!.ToArray<float>();
        using var parallel = new DataParallel(new SingleProcessGroup(), [w], options: new DataParallelOptions(BucketBytes: 16));
        parallel.SynchronizeGradients();
        parallel.EnsureParametersConsistent();
        Assert.Equal(before, w.grad!.ToArray<float>());
    }

    [Fact]
    public void Consistency_counts_nan_as_a_difference_beyond_any_tolerance()
    {
        var check = new ParameterConsistency([0, double.NaN, 1e-7, 1e-3], WorstRank: 1, WorstParameter: "w");
        Assert.Equal(new[] { 1, 3 }, check.RanksBeyond(1e-6));
        Assert.Equal(new[] { 1, 2, 3 }, check.RanksBeyond(0));
    }

    [Fact]
    public void The_launch_environment_comes_from_open_mpi_or_defaults_to_one_process()
    {
        var launched = LaunchEnvironment.From(new Dictionary<string, string>
        {
            ["OMPI_COMM_WORLD_SIZE"] = "4", ["OMPI_COMM_WORLD_RANK"] = "3", ["OMPI_COMM_WORLD_LOCAL_RANK"] = "1",
        });
        Assert.Equal(new LaunchEnvironment(true, 3, 4, 1), launched);
        Assert.Equal(LaunchEnvironment.Single, LaunchEnvironment.From(new Dictionary<string, string>()));
        Assert.Throws<DistributedException>(() => LaunchEnvironment.From(new Dictionary<string, string> { ["OMPI_COMM_WORLD_SIZE"] = "two" }));
    }

    [Theory]
    [InlineData(DeviceType.CPU, false, DistributedBackend.Single)]
    [InlineData(DeviceType.CUDA, false, DistributedBackend.Single)]
    [InlineData(DeviceType.CPU, true, DistributedBackend.Mpi)]
    [InlineData(DeviceType.CUDA, true, DistributedBackend.Nccl)]
    public void Auto_picks_nccl_for_cuda_and_mpi_for_cpu_under_mpiexec(DeviceType device, bool underMpiexec, DistributedBackend expected)
    {
        var launch = underMpiexec ? new LaunchEnvironment(true, 0, 2, 0) : LaunchEnvironment.Single;
        Assert.Equal(expected, ProcessGroupFactory.Choose(device, DistributedBackend.Auto, launch));
    }

    [Theory]
    [InlineData(DeviceType.CPU, DistributedBackend.Single, "each would train alone")]
    [InlineData(DeviceType.CUDA, DistributedBackend.Mpi, "use 'nccl'")]
    [InlineData(DeviceType.CPU, DistributedBackend.Nccl, "use 'mpi'")]
    public void Backends_that_cannot_train_this_job_are_refused(DeviceType device, DistributedBackend backend, string fix)
    {
        var error = Assert.Throws<DistributedException>(() =>
            ProcessGroupFactory.Choose(device, backend, new LaunchEnvironment(true, 0, 2, 0)));
        Assert.Contains(fix, error.Message);
    }
}
