using System.Runtime.InteropServices;

namespace TrainSage.Torch.Native;

/// <summary>The C ABI of libtrainsage_native (prefix ts_), one partial file per area of native/core.</summary>
internal static partial class NativeMethods
{
    private const string Lib = NativeLibraryLoader.LibraryName;

    static NativeMethods() => NativeLibraryLoader.Register();

    [LibraryImport(Lib)] private static partial IntPtr ts_last_error();
    [LibraryImport(Lib)] internal static partial long ts_live_tensors();
    [LibraryImport(Lib)] internal static partial void ts_tensor_free(IntPtr t);
    [LibraryImport(Lib)] internal static partial void ts_tensor_array_free(IntPtr array);
    [LibraryImport(Lib)] internal static partial int ts_torch_version(out int major, out int minor);

    /// <summary>Throws the thread's last native error.</summary>
    internal static TorchException LastError() =>
        new(Marshal.PtrToStringUTF8(ts_last_error()) ?? "native call failed without an error message");

    internal static IntPtr Check(IntPtr handle) => handle == IntPtr.Zero ? throw LastError() : handle;

    internal static void Check(int status)
    {
        if (status < 0) throw LastError();
    }

    internal static long Check(long value) => value < 0 ? throw LastError() : value;

    /// <summary>Takes ownership of a native array of handles returned by split/chunk.</summary>
    internal static unsafe Tensor[] TakeArray(IntPtr array, long count)
    {
        Check(count);
        var result = new Tensor[count];
        var items = (IntPtr*)array;
        for (var i = 0; i < count; i++) result[i] = new Tensor(items[i]);
        ts_tensor_array_free(array);
        return result;
    }
}
