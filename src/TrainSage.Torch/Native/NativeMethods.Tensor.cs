using System.Runtime.InteropServices;
using H = TrainSage.Torch.Native.TensorHandle;

namespace TrainSage.Torch.Native;

// native/core/tensor.cpp, autograd.cpp, device.cpp
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial long ts_tensor_dim(H t);
    [LibraryImport(Lib)] internal static partial long ts_tensor_numel(H t);
    [LibraryImport(Lib)] internal static partial void ts_tensor_shape(H t, long* shape);
    [LibraryImport(Lib)] internal static partial int ts_tensor_dtype(H t);
    [LibraryImport(Lib)] internal static partial int ts_tensor_device_type(H t);
    [LibraryImport(Lib)] internal static partial int ts_tensor_device_index(H t);
    [LibraryImport(Lib)] internal static partial int ts_tensor_is_contiguous(H t);
    [LibraryImport(Lib)] internal static partial IntPtr ts_tensor_data_ptr(H t);

    [LibraryImport(Lib)] internal static partial IntPtr ts_tensor_from_data(void* data, long* shape, long ndim, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr ts_empty(long* shape, long ndim, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial IntPtr ts_zeros(long* shape, long ndim, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial IntPtr ts_ones(long* shape, long ndim, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial IntPtr ts_full(long* shape, long ndim, double value, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial IntPtr ts_randn(long* shape, long ndim, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial IntPtr ts_rand(long* shape, long ndim, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial IntPtr ts_randint(long low, long high, long* shape, long ndim, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial IntPtr ts_arange(double start, double end, double step, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial IntPtr ts_scalar_tensor(double value, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial IntPtr ts_zeros_like(H t);
    [LibraryImport(Lib)] internal static partial IntPtr ts_ones_like(H t);
    [LibraryImport(Lib)] internal static partial IntPtr ts_randn_like(H t);

    [LibraryImport(Lib)] internal static partial IntPtr ts_to(H t, int dev, int idx, int dtype, int nonBlocking, int copy);
    [LibraryImport(Lib)] internal static partial IntPtr ts_to_dtype(H t, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr ts_clone(H t);
    [LibraryImport(Lib)] internal static partial IntPtr ts_contiguous(H t);
    [LibraryImport(Lib)] internal static partial IntPtr ts_alias(H t);
    [LibraryImport(Lib)] internal static partial int ts_item(H t, out double value);
    [LibraryImport(Lib)] internal static partial int ts_item_int64(H t, out long value);
    [LibraryImport(Lib)] internal static partial int ts_tensor_copy_to(H t, void* dst, long bytes, int dtype);

    [LibraryImport(Lib)] internal static partial int ts_copy_(H dst, H src);
    [LibraryImport(Lib)] internal static partial int ts_zero_(H t);
    [LibraryImport(Lib)] internal static partial int ts_fill_(H t, double value);
    [LibraryImport(Lib)] internal static partial int ts_add_(H t, H other, double alpha);
    [LibraryImport(Lib)] internal static partial int ts_mul_scalar_(H t, double value);
    [LibraryImport(Lib)] internal static partial int ts_set_data(H t, H data);
    [LibraryImport(Lib)] internal static partial int ts_normal_(H t, double mean, double std);
    [LibraryImport(Lib)] internal static partial int ts_uniform_(H t, double from, double to);

    [LibraryImport(Lib)] internal static partial int ts_requires_grad(H t);
    [LibraryImport(Lib)] internal static partial int ts_set_requires_grad(H t, int value);
    [LibraryImport(Lib)] internal static partial int ts_is_leaf(H t);
    [LibraryImport(Lib)] internal static partial IntPtr ts_detach(H t);
    [LibraryImport(Lib)] internal static partial int ts_backward(H t, H grad, int retainGraph);
    [LibraryImport(Lib)] internal static partial int ts_grad(H t, out IntPtr grad);
    [LibraryImport(Lib)] internal static partial int ts_set_grad(H t, H grad);
    [LibraryImport(Lib)] internal static partial int ts_grad_enabled();
    [LibraryImport(Lib)] internal static partial void ts_set_grad_enabled(int enabled);

    [LibraryImport(Lib)] internal static partial int ts_cuda_is_available();
    [LibraryImport(Lib)] internal static partial int ts_cuda_device_count();
    [LibraryImport(Lib)] internal static partial int ts_cuda_synchronize(int deviceIndex);
    [LibraryImport(Lib)] internal static partial int ts_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int ts_get_num_threads();
    [LibraryImport(Lib)] internal static partial int ts_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial IntPtr ts_rng_get_state(int dev, int idx);
    [LibraryImport(Lib)] internal static partial int ts_rng_set_state(int dev, int idx, H state);
}
