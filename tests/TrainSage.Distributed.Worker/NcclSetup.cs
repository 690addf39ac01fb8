using TrainSage.Torch;

namespace TrainSage.Distributed.Worker;

/// <summary>
/// Builds the NCCL group of a CUDA job. Where NCCL or the GPUs are missing, every rank must report the same error
/// (naming the ranks that failed) instead of some ranks waiting forever in ncclCommInitRank.
/// </summary>
internal static class NcclSetup
{
    public static void Run()
    {
        var launch = LaunchEnvironment.Detect();
        try
        {
            using var group = ProcessGroupFactory.Create(DeviceType.CUDA);
            using var scope = torch.NewDisposeScope();
            var device = ProcessGroupFactory.DeviceFor(group, DeviceType.CUDA);
            var t = torch.full([1000], group.Rank + 1, device: device);
            group.AllReduceSum(t);
            Expect.Equal(t.cpu().ToArray<double>(), group.WorldSize * (group.WorldSize + 1) / 2.0, "NCCL sum");
            Console.WriteLine($"rank {group.Rank}: nccl ready on {device}");
        }
        catch (DistributedException e)
        {
            Console.WriteLine($"rank {launch.Rank}: nccl setup failed: {e.Message}");
        }
    }
}
