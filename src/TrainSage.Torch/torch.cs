using TrainSage.Torch.Native;
using N = TrainSage.Torch.Native.NativeMethods;

namespace TrainSage.Torch;

/// <summary>The PyTorch-style entry point: <c>torch.randn(...)</c>, <c>torch.nn.functional.gelu(x)</c>.</summary>
public static partial class torch
{
    public static DisposeScope NewDisposeScope() => new();

    /// <summary>Native tensor handles alive in this process (what a leak test watches).</summary>
    public static long live_tensors() => N.ts_live_tensors();

    public static (int Major, int Minor) libtorch_version()
    {
        N.ts_torch_version(out var major, out var minor);
        return (major, minor);
    }

    // ---- creation ---------------------------------------------------------------------------------------------
    private static int Dt(ScalarType? dtype) => (int)(dtype ?? ScalarType.Float32);
    private static Device Dev(Device? device) => device ?? Device.CPU;

    public static unsafe Tensor empty(long[] shape, ScalarType? dtype = null, Device? device = null)
    {
        fixed (long* p = shape) return new(N.ts_empty(p, shape.Length, Dt(dtype), (int)Dev(device).Type, Dev(device).NativeIndex));
    }

    public static unsafe Tensor zeros(long[] shape, ScalarType? dtype = null, Device? device = null)
    {
        fixed (long* p = shape) return new(N.ts_zeros(p, shape.Length, Dt(dtype), (int)Dev(device).Type, Dev(device).NativeIndex));
    }

    public static unsafe Tensor ones(long[] shape, ScalarType? dtype = null, Device? device = null)
    {
        fixed (long* p = shape) return new(N.ts_ones(p, shape.Length, Dt(dtype), (int)Dev(device).Type, Dev(device).NativeIndex));
    }

    public static unsafe Tensor full(long[] shape, double value, ScalarType? dtype = null, Device? device = null)
    {
        fixed (long* p = shape) return new(N.ts_full(p, shape.Length, value, Dt(dtype), (int)Dev(device).Type, Dev(device).NativeIndex));
    }

    public static unsafe Tensor randn(long[] shape, ScalarType? dtype = null, Device? device = null)
    {
        fixed (long* p = shape) return new(N.ts_randn(p, shape.Length, Dt(dtype), (int)Dev(device).Type, Dev(device).NativeIndex));
    }

    public static unsafe Tensor rand(long[] shape, ScalarType? dtype = null, Device? device = null)
    {
        fixed (long* p = shape) return new(N.ts_rand(p, shape.Length, Dt(dtype), (int)Dev(device).Type, Dev(device).NativeIndex));
    }

    public static unsafe Tensor randint(long low, long high, long[] shape, ScalarType? dtype = null, Device? device = null)
    {
        fixed (long* p = shape)
            return new(N.ts_randint(low, high, p, shape.Length, (int)(dtype ?? ScalarType.Int64), (int)Dev(device).Type, Dev(device).NativeIndex));
    }

    public static Tensor arange(double start, double end, double step = 1, ScalarType? dtype = null, Device? device = null) =>
        new(N.ts_arange(start, end, step, (int)(dtype ?? ScalarType.Int64), (int)Dev(device).Type, Dev(device).NativeIndex));

    public static Tensor arange(long end, ScalarType? dtype = null, Device? device = null) => arange(0, end, 1, dtype, device);

    public static Tensor scalar_tensor(double value, ScalarType? dtype = null, Device? device = null) =>
        new(N.ts_scalar_tensor(value, Dt(dtype), (int)Dev(device).Type, Dev(device).NativeIndex));

    public static Tensor zeros_like(Tensor t) => new(N.ts_zeros_like(t.Handle));
    public static Tensor ones_like(Tensor t) => new(N.ts_ones_like(t.Handle));
    public static Tensor randn_like(Tensor t) => new(N.ts_randn_like(t.Handle));

    /// <summary>A CPU tensor holding a copy of <paramref name="data"/> in the given shape (one dimension when omitted).</summary>
    public static unsafe Tensor tensor<T>(ReadOnlySpan<T> data, params long[] shape) where T : unmanaged
    {
        if (shape.Length == 0) shape = [data.Length];
        long count = 1;
        foreach (var s in shape) count *= s;
        if (count != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {count} elements but {data.Length} were given");
        fixed (T* d = data)
        fixed (long* p = shape)
            return new(N.ts_tensor_from_data(d, p, shape.Length, (int)ScalarTypeExtensions.Of<T>()));
    }

    public static Tensor tensor<T>(T[] data, params long[] shape) where T : unmanaged => tensor((ReadOnlySpan<T>)data, shape);

    public static Tensor tensor(double value, ScalarType dtype = ScalarType.Float32) => scalar_tensor(value, dtype);

    // ---- joins and selection ----------------------------------------------------------------------------------
    public static unsafe Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        using var handles = new HandleArray(tensors);
        fixed (IntPtr* p = handles.Pointers) return new(N.ts_cat(p, handles.Length, dim));
    }

    public static unsafe Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        using var handles = new HandleArray(tensors);
        fixed (IntPtr* p = handles.Pointers) return new(N.ts_stack(p, handles.Length, dim));
    }

    public static Tensor where(Tensor condition, Tensor a, Tensor b) => new(N.ts_where(condition.Handle, a.Handle, b.Handle));

    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);

    // ---- autograd, random, devices ----------------------------------------------------------------------------
    /// <summary>Disables gradient recording on this thread until disposed (<c>using var _ = torch.no_grad();</c>).</summary>
    public static GradModeScope no_grad() => new(false);

    public static GradModeScope enable_grad() => new(true);

    public static bool is_grad_enabled() => N.ts_grad_enabled() != 0;

    /// <summary>Seeds the CPU generator and every CUDA generator.</summary>
    public static void manual_seed(ulong seed) => N.Check(N.ts_manual_seed(seed));

    /// <summary>Sets how many threads libtorch uses inside one CPU op (intra-op parallelism) in this process.</summary>
    public static void set_num_threads(int threads)
    {
        if (threads <= 0)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "the number of threads must be positive (1 for single-threaded ops)");
        N.Check(N.ts_set_num_threads(threads));
    }

    public static int get_num_threads() => N.ts_get_num_threads();

    public static class random
    {
        /// <summary>The generator state of a device, as a uint8 CPU tensor.</summary>
        public static Tensor get_rng_state(Device? device = null) =>
            new(N.ts_rng_get_state((int)Dev(device).Type, Dev(device).NativeIndex));

        public static void set_rng_state(Tensor state, Device? device = null) =>
            N.Check(N.ts_rng_set_state((int)Dev(device).Type, Dev(device).NativeIndex, state.Handle));
    }

    public static class cuda
    {
        public static bool is_available() => N.ts_cuda_is_available() != 0;
        public static int device_count() => N.ts_cuda_device_count();
        public static void synchronize(int device = -1) => N.Check(N.ts_cuda_synchronize(device));
    }
}

/// <summary>Sets the thread's grad mode until disposed, then restores the previous one.</summary>
public sealed class GradModeScope : IDisposable
{
    private readonly bool previous;
    private bool disposed;

    internal GradModeScope(bool enabled)
    {
        previous = NativeMethods.ts_grad_enabled() != 0;
        NativeMethods.ts_set_grad_enabled(enabled ? 1 : 0);
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        NativeMethods.ts_set_grad_enabled(previous ? 1 : 0);
    }
}
