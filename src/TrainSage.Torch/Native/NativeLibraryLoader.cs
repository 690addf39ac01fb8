using System.Reflection;
using System.Runtime.InteropServices;

namespace TrainSage.Torch.Native;

/// <summary>Finds libtrainsage_native: $TRAINSAGE_NATIVE_LIB first (the GPU build), else next to the assembly.</summary>
internal static class NativeLibraryLoader
{
    public const string LibraryName = "trainsage_native";
    public const string EnvironmentVariable = "TRAINSAGE_NATIVE_LIB";

    private static readonly HashSet<Assembly> registered = [];

    public static void Register() => Register(typeof(NativeLibraryLoader).Assembly);

    /// <summary>Resolves <see cref="LibraryName"/> for <paramref name="assembly"/>'s imports of the shim (once per assembly).</summary>
    public static void Register(Assembly assembly)
    {
        lock (registered)
        {
            if (registered.Add(assembly)) NativeLibrary.SetDllImportResolver(assembly, Resolve);
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != LibraryName) return IntPtr.Zero;
        var candidates = new List<string>();
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment)) candidates.Add(fromEnvironment);
        candidates.Add(Path.Combine(AppContext.BaseDirectory, "libtrainsage_native.so"));
        foreach (var path in candidates)
        {
            if (File.Exists(path)) return NativeLibrary.Load(path);
        }
        throw new DllNotFoundException(
            $"The TrainSage native shim (libtrainsage_native.so) was not found; looked in: {string.Join(", ", candidates)}. " +
            "Build it with `scripts/setup.sh` (installs libtorch-dev and runs `dotnet build`), or build native/ with CMake " +
            $"and point {EnvironmentVariable} at the library.");
    }
}
