using System.Runtime.InteropServices;
using TrainSage.Torch.Native;

namespace TrainSage.Torch;

/// <summary>
/// A libtorch tensor. It owns one native handle: dispose it, or create it inside a <see cref="DisposeScope"/>
/// (<c>using var scope = torch.NewDisposeScope();</c>) and let the scope free it.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly TensorHandle handle;
    private DisposeScope? scope;

    internal Tensor(IntPtr nativeHandle)
    {
        handle = new TensorHandle(NativeMethods.Check(nativeHandle));
        scope = DisposeScope.Current;
        scope?.Add(this);
    }

    internal TensorHandle Handle => handle.IsClosed
        ? throw new ObjectDisposedException(nameof(Tensor),
            "This tensor was already disposed (by Dispose or by the end of its dispose scope); " +
            "call MoveToOuterScope() or DetachFromDisposeScope() on tensors that must outlive their scope.")
        : handle;

    public bool IsDisposed => handle.IsClosed;

    public void Dispose()
    {
        scope?.Remove(this);
        scope = null;
        handle.Dispose();
    }

    internal void DisposeFromScope()
    {
        scope = null;
        handle.Dispose();
    }

    /// <summary>Hands this tensor to the enclosing scope (or to no scope at the outermost level).</summary>
    public Tensor MoveToOuterScope()
    {
        var target = scope?.Outer;
        scope?.Remove(this);
        scope = target;
        scope?.Add(this);
        return this;
    }

    /// <summary>Takes this tensor out of every scope: its owner must dispose it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        scope?.Remove(this);
        scope = null;
        return this;
    }

    // ---- introspection ----------------------------------------------------------------------------------------
    public unsafe long[] shape
    {
        get
        {
            var h = Handle;
            var result = new long[NativeMethods.ts_tensor_dim(h)];
            fixed (long* p = result) NativeMethods.ts_tensor_shape(h, p);
            return result;
        }
    }

    public long dim() => NativeMethods.ts_tensor_dim(Handle);

    public long size(int dim)
    {
        var s = shape;
        return s[dim < 0 ? dim + s.Length : dim];
    }

    public long numel() => NativeMethods.ts_tensor_numel(Handle);

    public ScalarType dtype => (ScalarType)NativeMethods.ts_tensor_dtype(Handle);

    public Device device
    {
        get
        {
            var h = Handle;
            return NativeMethods.ts_tensor_device_type(h) == 0 ? Device.CPU : Device.CUDA(NativeMethods.ts_tensor_device_index(h));
        }
    }

    public bool is_contiguous() => NativeMethods.ts_tensor_is_contiguous(Handle) != 0;

    public override string ToString() =>
        IsDisposed ? "Tensor(disposed)" : $"Tensor[{string.Join(", ", shape)}], {dtype}, {device}";

    // ---- conversion -------------------------------------------------------------------------------------------
    public Tensor to(Device device, ScalarType? dtype = null, bool non_blocking = false, bool copy = false) =>
        new(NativeMethods.ts_to(Handle, (int)device.Type, device.NativeIndex, (int)(dtype ?? this.dtype),
            non_blocking ? 1 : 0, copy ? 1 : 0));

    public Tensor to(ScalarType dtype) => new(NativeMethods.ts_to_dtype(Handle, (int)dtype));

    public Tensor cpu() => to(Device.CPU);

    public Tensor cuda(int index = 0) => to(Device.CUDA(index));

    public Tensor clone() => new(NativeMethods.ts_clone(Handle));

    public Tensor contiguous() => new(NativeMethods.ts_contiguous(Handle));

    /// <summary>A second handle to the same tensor (same storage, same autograd identity).</summary>
    public Tensor alias() => new(NativeMethods.ts_alias(Handle));

    public double item()
    {
        NativeMethods.Check(NativeMethods.ts_item(Handle, out var value));
        return value;
    }

    public T item<T>() where T : unmanaged, IConvertible
    {
        if (typeof(T) == typeof(long))
        {
            NativeMethods.Check(NativeMethods.ts_item_int64(Handle, out var l));
            return (T)(object)l;
        }
        return (T)Convert.ChangeType(item(), typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The elements of a contiguous CPU tensor as a span over its own memory (no copy). The span is valid while
    /// the tensor is alive.
    /// </summary>
    public unsafe Span<T> AsSpan<T>() where T : unmanaged
    {
        var expected = ScalarTypeExtensions.Of<T>();
        if (dtype != expected)
            throw new ArgumentException($"AsSpan<{typeof(T).Name}> needs a {expected} tensor, but this one is {dtype}; convert it with .to(ScalarType.{expected})");
        var ptr = NativeMethods.Check(NativeMethods.ts_tensor_data_ptr(Handle));
        return new Span<T>((void*)ptr, checked((int)numel()));
    }

    /// <summary>Copies the elements (converted to T, moved to the CPU) into a new array.</summary>
    public unsafe T[] ToArray<T>() where T : unmanaged
    {
        var result = new T[numel()];
        fixed (T* p = result)
            NativeMethods.Check(NativeMethods.ts_tensor_copy_to(Handle, p, (long)result.Length * sizeof(T), (int)ScalarTypeExtensions.Of<T>()));
        return result;
    }

    // ---- in place ---------------------------------------------------------------------------------------------
    public Tensor copy_(Tensor src)
    {
        NativeMethods.Check(NativeMethods.ts_copy_(Handle, src.Handle));
        return this;
    }

    public Tensor zero_()
    {
        NativeMethods.Check(NativeMethods.ts_zero_(Handle));
        return this;
    }

    public Tensor fill_(double value)
    {
        NativeMethods.Check(NativeMethods.ts_fill_(Handle, value));
        return this;
    }

    public Tensor add_(Tensor other, double alpha = 1)
    {
        NativeMethods.Check(NativeMethods.ts_add_(Handle, other.Handle, alpha));
        return this;
    }

    public Tensor mul_(double value)
    {
        NativeMethods.Check(NativeMethods.ts_mul_scalar_(Handle, value));
        return this;
    }

    public Tensor normal_(double mean = 0, double std = 1)
    {
        NativeMethods.Check(NativeMethods.ts_normal_(Handle, mean, std));
        return this;
    }

    public Tensor uniform_(double from = 0, double to = 1)
    {
        NativeMethods.Check(NativeMethods.ts_uniform_(Handle, from, to));
        return this;
    }

    /// <summary>Replaces this tensor's data with <paramref name="data"/>'s (PyTorch's <c>t.data = data</c>).</summary>
    public void set_data(Tensor data) => NativeMethods.Check(NativeMethods.ts_set_data(Handle, data.Handle));

    // ---- autograd ---------------------------------------------------------------------------------------------
    public bool requires_grad
    {
        get => NativeMethods.ts_requires_grad(Handle) != 0;
        set => NativeMethods.Check(NativeMethods.ts_set_requires_grad(Handle, value ? 1 : 0));
    }

    public Tensor requires_grad_(bool value = true)
    {
        requires_grad = value;
        return this;
    }

    public bool is_leaf => NativeMethods.ts_is_leaf(Handle) != 0;

    public Tensor detach() => new(NativeMethods.ts_detach(Handle));

    /// <summary>The accumulated gradient, or null before the first backward; setting null clears it.</summary>
    public Tensor? grad
    {
        get
        {
            NativeMethods.Check(NativeMethods.ts_grad(Handle, out var g));
            return g == IntPtr.Zero ? null : new Tensor(g);
        }
        set => NativeMethods.Check(NativeMethods.ts_set_grad(Handle, value?.Handle ?? TensorHandle.Null));
    }

    public void backward(Tensor? gradient = null, bool retain_graph = false) =>
        NativeMethods.Check(NativeMethods.ts_backward(Handle, gradient?.Handle ?? TensorHandle.Null, retain_graph ? 1 : 0));
}

/// <summary>Keeps native handles alive while a native call reads them as an array of pointers.</summary>
public ref struct HandleArray
{
    private readonly IReadOnlyList<Tensor> tensors;
    private readonly IntPtr[] pointers;
    private int added;

    public HandleArray(IReadOnlyList<Tensor> tensors)
    {
        this.tensors = tensors;
        pointers = new IntPtr[tensors.Count];
        for (var i = 0; i < tensors.Count; i++)
        {
            var success = false;
            var h = tensors[i].Handle;
            h.DangerousAddRef(ref success);
            added++;
            pointers[i] = h.DangerousGetHandle();
        }
    }

    public readonly IntPtr[] Pointers => pointers;

    public readonly long Length => pointers.Length;

    public void Dispose()
    {
        for (var i = 0; i < added; i++) tensors[i].Handle.DangerousRelease();
        added = 0;
    }
}
