using TrainSage.Distributed;
using TrainSage.Distributed.Worker;
using TrainSage.Torch;

// Usage: TrainSage.Distributed.Worker <scenario>, normally as `mpiexec -n 2 dotnet TrainSage.Distributed.Worker.dll <scenario>`.
return RankFailureGuard.Run(() =>
{
    var scenario = args.Length == 1 ? args[0] : throw new ArgumentException("usage: TrainSage.Distributed.Worker <scenario>");
    if (scenario == "nccl-load")
    {
        // No process group: reports whether NCCL opens in this process.
        Console.WriteLine($"nccl version {NcclProcessGroup.LoadNccl()}");
        return 0;
    }
    if (scenario == "nccl-setup")
    {
        NcclSetup.Run();
        return 0;
    }
    using var group = ProcessGroupFactory.Create(DeviceType.CPU);
    switch (scenario)
    {
        case "collectives": Collectives.Run(group); break;
        case "gradients": Gradients.Run(group); break;
        case "recipe-mismatch": Failures.RecipeMismatch(group); break;
        case "failure": Failures.ThrowOnRankOne(group); break;
        default: throw new ArgumentException($"unknown scenario '{scenario}'");
    }
    Console.WriteLine($"rank {group.Rank}: {scenario} ok");
    return 0;
});
