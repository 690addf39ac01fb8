using TrainSage.Torch.Native;
using System.Diagnostics.CodeAnalysis;
using TrainSage.Torch;
using static TrainSage.Distributed.Native.DistNativeMethods;

namespace TrainSage.Distributed;

/// <summary>
/// The ranks of a job launched by mpiexec, with MPI moving CPU tensors. MPI is initialised once per process by the
/// first instance. It is finalised by <see cref="RankFailureGuard"/> when main succeeds (or by <see cref="Shutdown"/>),
/// never by <see cref="Dispose"/>: a group disposed while an exception unwinds must not enter MPI_Finalize, which
/// waits for every rank, before the guard aborts the job. Calls are serialised with one lock, as
/// MPI_THREAD_SERIALIZED requires; <see cref="Abort"/> never waits for it.
/// </summary>
public sealed class MpiProcessGroup : IProcessGroup
{
    private static readonly Lock Gate = new();

    public MpiProcessGroup()
    {
        lock (Gate)
        {
            Check(ts_mpi_init());
            Rank = ts_mpi_rank();
            WorldSize = ts_mpi_size();
            LocalRank = ts_mpi_local_rank();
        }
    }

    /// <summary>Whether libtrainsage_native was built with MPI (CMake found Open MPI).</summary>
    public static bool IsAvailable => ts_mpi_available() != 0;

    /// <summary>Whether MPI is running in this process (initialised and not yet finalised).</summary>
    public static bool IsInitialized => ts_mpi_initialized() != 0;

    public string Backend => "mpi";
    public int Rank { get; }
    public int WorldSize { get; }
    public int LocalRank { get; }

    public void Barrier()
    {
        lock (Gate) Check(ts_mpi_barrier());
    }

    public void AllReduce(Tensor tensor, ReduceOp op)
    {
        lock (Gate) Check(ts_mpi_all_reduce(NativeInterop.HandleOf(tensor), (int)op));
    }

    public void AllReduce(IReadOnlyList<Tensor> tensors, ReduceOp op)
    {
        foreach (var tensor in tensors) AllReduce(tensor, op);
    }

    public void Broadcast(Tensor tensor, int root = 0)
    {
        RootCheck.Validate(root, WorldSize);
        lock (Gate) Check(ts_mpi_broadcast(NativeInterop.HandleOf(tensor), root));
    }

    /// <summary>Sends the length first, so other ranks need not know it.</summary>
    public unsafe byte[] Broadcast(byte[] data, int root = 0)
    {
        RootCheck.Validate(root, WorldSize);
        lock (Gate)
        {
            long length = data.Length;
            Check(ts_mpi_broadcast_bytes(&length, sizeof(long), root));
            var result = Rank == root ? data : new byte[length];
            fixed (byte* p = result) Check(ts_mpi_broadcast_bytes(p, length, root));
            return result;
        }
    }

    public Tensor AllGather(Tensor tensor)
    {
        lock (Gate) return NativeInterop.TakeTensor(ts_mpi_all_gather(NativeInterop.HandleOf(tensor)));
    }

    [DoesNotReturn]
    public void Abort(string message, int exitCode = 1) => AbortJob(message, exitCode);

    /// <summary>MPI_Abort: mpiexec ends every rank. Without MPI running, prints and exits this process.</summary>
    [DoesNotReturn]
    internal static void AbortJob(string message, int exitCode)
    {
        Console.Out.Flush();
        ts_mpi_abort(message, exitCode);
        throw new InvalidOperationException("unreachable: ts_mpi_abort returned");
    }

    /// <summary>
    /// Finalises MPI in this process if it is running (idempotent). Every rank calls it once at the end of a successful
    /// run; it waits for the other ranks. MPI cannot start again afterwards.
    /// </summary>
    public static void Shutdown()
    {
        lock (Gate) Check(ts_mpi_finalize());
    }

    /// <summary>Leaves MPI running (see the class remarks).</summary>
    public void Dispose() { }
}
