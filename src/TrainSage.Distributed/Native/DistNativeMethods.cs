using System.Runtime.InteropServices;
using TrainSage.Torch.Native;
using H = TrainSage.Torch.Native.TensorHandle;

namespace TrainSage.Distributed.Native;

/// <summary>The ts_mpi_* and ts_nccl_* entry points of libtrainsage_native (native/dist/).</summary>
internal static unsafe partial class DistNativeMethods
{
    private const string Lib = NativeInterop.LibraryName;

    static DistNativeMethods() => NativeInterop.UseTrainSageNative(typeof(DistNativeMethods).Assembly);

    // native/dist/mpi.cpp
    [LibraryImport(Lib)] internal static partial int ts_mpi_available();
    [LibraryImport(Lib)] internal static partial int ts_mpi_initialized();
    [LibraryImport(Lib)] internal static partial int ts_mpi_init();
    [LibraryImport(Lib)] internal static partial int ts_mpi_finalize();
    [LibraryImport(Lib)] internal static partial int ts_mpi_rank();
    [LibraryImport(Lib)] internal static partial int ts_mpi_size();
    [LibraryImport(Lib)] internal static partial int ts_mpi_local_rank();
    [LibraryImport(Lib)] internal static partial int ts_mpi_barrier();
    [LibraryImport(Lib)] internal static partial int ts_mpi_broadcast_bytes(void* data, long length, int root);
    [LibraryImport(Lib)] internal static partial int ts_mpi_all_reduce(H t, int op);
    [LibraryImport(Lib)] internal static partial int ts_mpi_broadcast(H t, int root);
    [LibraryImport(Lib)] internal static partial IntPtr ts_mpi_all_gather(H t);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial void ts_mpi_abort(string message, int exitCode);

    // native/dist/nccl.cpp
    [LibraryImport(Lib)] internal static partial int ts_nccl_unique_id_size();
    [LibraryImport(Lib)] internal static partial int ts_nccl_version(out int version);
    [LibraryImport(Lib)] internal static partial int ts_nccl_get_unique_id(byte* id);
    [LibraryImport(Lib)] internal static partial int ts_nccl_comm_init(byte* id, int size, int rank, int device, out IntPtr comm);
    [LibraryImport(Lib)] internal static partial int ts_nccl_all_reduce(IntPtr comm, IntPtr* tensors, long count, int op);
    [LibraryImport(Lib)] internal static partial int ts_nccl_broadcast(IntPtr comm, H t, int root);
    [LibraryImport(Lib)] internal static partial IntPtr ts_nccl_all_gather(IntPtr comm, H t);
    [LibraryImport(Lib)] internal static partial int ts_nccl_comm_destroy(IntPtr comm);

    internal static void Check(int status) => NativeInterop.Check(status);
}
