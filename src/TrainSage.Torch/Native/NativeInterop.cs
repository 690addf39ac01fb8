using System.Reflection;

namespace TrainSage.Torch.Native;

/// <summary>
/// For TrainSage assemblies that declare their own imports of ts_ functions from libtrainsage_native (the
/// attention and distributed areas): loads the same library the binding loads and converts between
/// <see cref="Tensor"/> and native handles.
/// </summary>
public static class NativeInterop
{
    /// <summary>The library name for <c>[LibraryImport(NativeInterop.LibraryName)]</c>.</summary>
    public const string LibraryName = NativeLibraryLoader.LibraryName;

    /// <summary>Makes <paramref name="assembly"/>'s imports of <see cref="LibraryName"/> resolve like the binding's
    /// ($TRAINSAGE_NATIVE_LIB, else next to the assembly). Call it from the importing class's static constructor.</summary>
    public static void UseTrainSageNative(Assembly assembly) => NativeLibraryLoader.Register(assembly);

    /// <summary>The handle to pass for <paramref name="tensor"/> (a TensorHandle parameter is ts_tensor).</summary>
    public static TensorHandle HandleOf(Tensor tensor) => tensor.Handle;

    /// <summary>Takes ownership of a ts_tensor returned by a native call; throws the native error when it is null.</summary>
    public static Tensor TakeTensor(IntPtr handle) => new(handle);

    /// <summary>Throws the native error when a status-returning call failed (returned a negative value).</summary>
    public static void Check(int status) => NativeMethods.Check(status);
}
