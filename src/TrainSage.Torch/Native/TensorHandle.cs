using System.Runtime.InteropServices;

namespace TrainSage.Torch.Native;

/// <summary>
/// Owns one native at::Tensor handle; freeing it drops this reference to the tensor's storage. Public so that
/// other TrainSage assemblies can pass tensors to their own ts_ imports (see <see cref="NativeInterop"/>).
/// </summary>
public sealed class TensorHandle : SafeHandle
{
    internal TensorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    /// <summary>Passed where an optional tensor argument is absent (nullptr on the native side).</summary>
    public static readonly TensorHandle Null = new(IntPtr.Zero);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.ts_tensor_free(handle);
        return true;
    }
}
