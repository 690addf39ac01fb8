using System.Diagnostics.CodeAnalysis;
using TrainSage.Torch;

namespace TrainSage.Distributed;

/// <summary>How an all-reduce combines the ranks' tensors. The values cross the C ABI unchanged.</summary>
public enum ReduceOp
{
    Sum = 0,
    /// <summary>The sum divided by the world size; floating-point tensors only.</summary>
    Average = 1,
    Max = 2,
    Min = 3,
}

/// <summary>
/// The ranks of one data-parallel job and the collectives between them. Every collective is called by every rank,
/// in the same order, with tensors of the same shape and type (MPI and NCCL semantics); tensors change in place.
/// Implementations: <see cref="SingleProcessGroup"/>, <see cref="MpiProcessGroup"/> (CPU tensors) and
/// <see cref="NcclProcessGroup"/> (CUDA tensors). <see cref="ProcessGroupFactory"/> picks one.
/// </summary>
public interface IProcessGroup : IDisposable
{
    /// <summary>"single", "mpi" or "nccl".</summary>
    string Backend { get; }

    /// <summary>This process's rank, 0 to <see cref="WorldSize"/> - 1; rank 0 logs and writes checkpoints.</summary>
    int Rank { get; }

    int WorldSize { get; }

    /// <summary>The rank among the processes on this machine: the GPU this rank uses.</summary>
    int LocalRank { get; }

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();

    void AllReduce(Tensor tensor, ReduceOp op);

    /// <summary>All-reduces several tensors in one call (NCCL fuses them into one group launch).</summary>
    void AllReduce(IReadOnlyList<Tensor> tensors, ReduceOp op);

    /// <summary>Copies <paramref name="root"/>'s tensor into the tensor of every other rank.</summary>
    void Broadcast(Tensor tensor, int root = 0);

    /// <summary>Returns <paramref name="root"/>'s bytes on every rank (other ranks' <paramref name="data"/> is ignored).</summary>
    byte[] Broadcast(byte[] data, int root = 0);

    /// <summary>A new tensor of shape [WorldSize, ..tensor.shape]: row r is rank r's tensor.</summary>
    Tensor AllGather(Tensor tensor);

    /// <summary>Prints <paramref name="message"/> and ends the whole job (every rank) with <paramref name="exitCode"/>.</summary>
    [DoesNotReturn]
    void Abort(string message, int exitCode = 1);
}

/// <summary>An error of the distributed job itself: ranks that disagree, a backend that cannot start.</summary>
public sealed class DistributedException(string message) : Exception(message);
