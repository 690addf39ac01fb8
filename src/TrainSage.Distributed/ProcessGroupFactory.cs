using TrainSage.Torch;

namespace TrainSage.Distributed;

/// <summary>Which process group a job uses; Auto decides from the launcher and the device.</summary>
public enum DistributedBackend
{
    /// <summary>Launched by mpiexec: NCCL for CUDA training, MPI for CPU training. Otherwise a single process.</summary>
    Auto,
    Single,
    Mpi,
    Nccl,
}

public static class ProcessGroupFactory
{
    /// <summary>Creates this rank's process group for training on <paramref name="deviceType"/>.</summary>
    public static IProcessGroup Create(DeviceType deviceType, DistributedBackend backend = DistributedBackend.Auto) =>
        Create(deviceType, backend, LaunchEnvironment.Detect());

    public static IProcessGroup Create(DeviceType deviceType, DistributedBackend backend, LaunchEnvironment launch)
    {
        var chosen = Choose(deviceType, backend, launch);
        return chosen switch
        {
            DistributedBackend.Single => new SingleProcessGroup(),
            DistributedBackend.Mpi => new MpiProcessGroup(),
            _ => new NcclProcessGroup(new MpiProcessGroup()),
        };
    }

    /// <summary>The backend Create builds, or a clear error for a combination that cannot train.</summary>
    public static DistributedBackend Choose(DeviceType deviceType, DistributedBackend backend, LaunchEnvironment launch)
    {
        var cuda = deviceType == DeviceType.CUDA;
        switch (backend)
        {
            case DistributedBackend.Auto when !launch.LaunchedByMpi:
                return DistributedBackend.Single;
            case DistributedBackend.Auto:
                return cuda ? DistributedBackend.Nccl : DistributedBackend.Mpi;
            case DistributedBackend.Single when launch.WorldSize > 1:
                throw new DistributedException(
                    $"mpiexec started {launch.WorldSize} ranks but the backend is 'single', so each would train alone: " +
                    "use the backend 'auto' (or 'mpi'/'nccl'), or start one process");
            case DistributedBackend.Mpi when cuda:
                throw new DistributedException(
                    "the 'mpi' backend moves CPU tensors, but this job trains on CUDA: use 'nccl' (or 'auto')");
            case DistributedBackend.Nccl when !cuda:
                throw new DistributedException(
                    "the 'nccl' backend moves CUDA tensors, but this job trains on the CPU: use 'mpi' (or 'auto')");
            default:
                return backend;
        }
    }

    /// <summary>The device this rank trains on: cuda:LocalRank for CUDA (one rank per GPU), else the CPU.</summary>
    public static Device DeviceFor(IProcessGroup group, DeviceType deviceType) => group switch
    {
        NcclProcessGroup nccl => nccl.Device,
        _ when deviceType == DeviceType.CUDA => Device.CUDA(group.LocalRank),
        _ => Device.CPU,
    };
}
