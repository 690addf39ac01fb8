using TrainSage.Torch.Native;
using System.Diagnostics.CodeAnalysis;
using TrainSage.Torch;
using static TrainSage.Distributed.Native.DistNativeMethods;

namespace TrainSage.Distributed;

/// <summary>
/// The ranks of a job launched by mpiexec, with NCCL moving CUDA tensors (on libtorch's current stream of this rank's
/// GPU) and MPI doing the rest: bootstrap, barrier, bytes, and any CPU tensor handed to a collective. Rank 0 makes
/// the NCCL unique id and MPI broadcasts it (the Horovod pattern).
/// </summary>
public sealed class NcclProcessGroup : IProcessGroup
{
    private readonly MpiProcessGroup mpi;
    private readonly Lock gate = new();
    private IntPtr communicator;

    /// <param name="mpi">The job's MPI group.</param>
    /// <param name="deviceIndex">This rank's GPU; by default its local rank (one rank per GPU on each machine).</param>
    public NcclProcessGroup(MpiProcessGroup mpi, int? deviceIndex = null)
    {
        this.mpi = mpi;
        Device = Device.CUDA(deviceIndex ?? mpi.LocalRank);
        var id = AgreeOnUniqueId();
        unsafe
        {
            fixed (byte* p = id) Check(ts_nccl_comm_init(p, mpi.WorldSize, mpi.Rank, Device.Index, out communicator));
        }
    }

    /// <summary>The CUDA device whose tensors this rank reduces: cuda:LocalRank unless given.</summary>
    public Device Device { get; }

    public string Backend => "nccl";
    public int Rank => mpi.Rank;
    public int WorldSize => mpi.WorldSize;
    public int LocalRank => mpi.LocalRank;

    /// <summary>Opens NCCL in this process and returns its version code (e.g. 22703 for 2.27.3).</summary>
    /// <exception cref="TorchException">NCCL was not found; the message lists where it looked and how to fix it.</exception>
    public static int LoadNccl()
    {
        Check(ts_nccl_version(out var version));
        return version;
    }

    // Every rank first opens NCCL, then rank 0 makes the id. A failure on any rank becomes the same error on all of
    // them (through MPI), so no rank is left waiting in ncclCommInitRank for a peer that already gave up.
    private byte[] AgreeOnUniqueId()
    {
        var idSize = ts_nccl_unique_id_size();
        var id = new byte[idSize];
        var failure = Attempt(() =>
        {
            LoadNccl();
            RequireDevice();
        });
        if (failure is null && mpi.Rank == 0) failure = Attempt(() => MakeUniqueId(id));
        ThrowIfAnyRankFailed(failure);
        return mpi.Broadcast(id);
    }

    private void RequireDevice()
    {
        var visible = torch.cuda.device_count();
        if (Device.Index >= visible)
            throw new DistributedException(
                $"rank {Rank} (local rank {LocalRank}) should use {Device}, but this process sees {visible} CUDA " +
                "device(s): start at most one rank per GPU on each machine, and check CUDA_VISIBLE_DEVICES");
    }

    private static unsafe void MakeUniqueId(byte[] id)
    {
        fixed (byte* p = id) Check(ts_nccl_get_unique_id(p));
    }

    private static string? Attempt(Action step)
    {
        try
        {
            step();
            return null;
        }
        catch (Exception e) when (e is TorchException or DistributedException)
        {
            return e.Message;
        }
    }

    private void ThrowIfAnyRankFailed(string? failure)
    {
        var failed = mpi.RanksWhere(failure is not null);
        if (failed.Length == 0) return;
        var detail = failure ?? $"see the log of rank {failed[0]} for the cause";
        throw new DistributedException($"rank(s) {string.Join(", ", failed)} could not set up NCCL: {detail}");
    }

    public void Barrier() => mpi.Barrier();

    public void AllReduce(Tensor tensor, ReduceOp op) => AllReduce([tensor], op);

    public void AllReduce(IReadOnlyList<Tensor> tensors, ReduceOp op)
    {
        var onGpu = tensors.Where(t => t.device.IsCuda).ToArray();
        foreach (var tensor in tensors.Where(t => !t.device.IsCuda)) mpi.AllReduce(tensor, op);
        if (onGpu.Length == 0) return;
        unsafe
        {
            using var handles = new HandleArray(onGpu);
            lock (gate)
            {
                fixed (IntPtr* p = handles.Pointers) Check(ts_nccl_all_reduce(Communicator, p, handles.Length, (int)op));
            }
        }
    }

    public void Broadcast(Tensor tensor, int root = 0)
    {
        RootCheck.Validate(root, WorldSize);
        if (!tensor.device.IsCuda)
        {
            mpi.Broadcast(tensor, root);
            return;
        }
        lock (gate) Check(ts_nccl_broadcast(Communicator, NativeInterop.HandleOf(tensor), root));
    }

    public byte[] Broadcast(byte[] data, int root = 0) => mpi.Broadcast(data, root);

    public Tensor AllGather(Tensor tensor)
    {
        if (!tensor.device.IsCuda) return mpi.AllGather(tensor);
        lock (gate) return NativeInterop.TakeTensor(ts_nccl_all_gather(Communicator, NativeInterop.HandleOf(tensor)));
    }

    [DoesNotReturn]
    public void Abort(string message, int exitCode = 1) => mpi.Abort(message, exitCode);

    private IntPtr Communicator =>
        communicator == IntPtr.Zero ? throw new ObjectDisposedException(nameof(NcclProcessGroup)) : communicator;

    /// <summary>
    /// Frees the communicator once this rank's queued NCCL work is done. That work was issued by every rank in the
    /// same order, so it completes even while an exception unwinds; a rank that died ends the job through MPI_Abort.
    /// </summary>
    public void Dispose()
    {
        if (communicator == IntPtr.Zero) return;
        var comm = communicator;
        communicator = IntPtr.Zero;
        Check(ts_nccl_comm_destroy(comm));
    }
}
