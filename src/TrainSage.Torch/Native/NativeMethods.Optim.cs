using System.Runtime.InteropServices;
using H = TrainSage.Torch.Native.TensorHandle;

namespace TrainSage.Torch.Native;

// native/core/optim.cpp
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial IntPtr ts_adamw_new(double lr, double beta1, double beta2, double eps, double weightDecay);
    [LibraryImport(Lib)] internal static partial void ts_optimizer_free(IntPtr opt);
    [LibraryImport(Lib)] internal static partial int ts_adamw_add_param_group(OptimizerHandle opt, IntPtr* parameters, long n, double lr, double weightDecay);
    [LibraryImport(Lib)] internal static partial int ts_optimizer_step(OptimizerHandle opt);
    [LibraryImport(Lib)] internal static partial int ts_optimizer_zero_grad(OptimizerHandle opt);
    [LibraryImport(Lib)] internal static partial long ts_optimizer_group_count(OptimizerHandle opt);
    [LibraryImport(Lib)] internal static partial int ts_adamw_set_lr(OptimizerHandle opt, long group, double lr);
    [LibraryImport(Lib)] internal static partial int ts_adamw_get_lr(OptimizerHandle opt, long group, out double lr);
    [LibraryImport(Lib)] internal static partial int ts_adamw_get_state(OptimizerHandle opt, H param, out long step, out IntPtr expAvg, out IntPtr expAvgSq);
    [LibraryImport(Lib)] internal static partial int ts_adamw_set_state(OptimizerHandle opt, H param, long step, H expAvg, H expAvgSq);
    [LibraryImport(Lib)] internal static partial double ts_clip_grad_norm(IntPtr* parameters, long n, double maxNorm);
}

/// <summary>Owns a native optimizer.</summary>
internal sealed class OptimizerHandle : SafeHandle
{
    public OptimizerHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.ts_optimizer_free(handle);
        return true;
    }
}
