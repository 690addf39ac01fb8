using System.Runtime.InteropServices;
using TrainSage.Torch.Native;
using H = TrainSage.Torch.Native.TensorHandle;

namespace TrainSage.Attention.Native;

/// <summary>native/sage8/api.cpp.</summary>
internal static partial class Sage8Native
{
    static Sage8Native() => NativeInterop.UseTrainSageNative(typeof(Sage8Native).Assembly);

    /// <summary>ts_sage8_options, field by field.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal readonly struct Options(Sage8Options options, bool causal)
    {
        public readonly int BlockSize = options.BlockSize;
        public readonly int SmoothK = options.SmoothK ? 1 : 0;
        public readonly int SmoothQ = options.SmoothQ ? 1 : 0;
        public readonly int VdoScaling = (int)options.VdoScaling;
        public readonly int DoVPrecision = (int)options.DoVPrecision;
        public readonly int Causal = causal ? 1 : 0;
    }

    [LibraryImport(NativeInterop.LibraryName)]
    internal static partial IntPtr ts_sage8_attention(H q, H k, H v, in Options options);

    [LibraryImport(NativeInterop.LibraryName)]
    internal static partial int ts_sage8_forward(H q, H k, H v, in Options options, out IntPtr output, out IntPtr lse);

    [LibraryImport(NativeInterop.LibraryName)]
    internal static partial int ts_sage8_backward(H q, H k, H v, H output, H lse, H gradOutput, in Options options,
        out IntPtr dq, out IntPtr dk, out IntPtr dv);

    [LibraryImport(NativeInterop.LibraryName)]
    internal static partial int ts_attention_check_inputs(H q, H k, H v);
}
