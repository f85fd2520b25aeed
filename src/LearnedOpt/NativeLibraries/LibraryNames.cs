namespace LearnedOpt.NativeLibraries;

/// <summary>Logical names of the native libraries; <see cref="NativeLibraryResolver"/> maps each to a file.</summary>
public static class LibraryNames
{
    public const string LoptCpu = "lopt_cpu";
    public const string Cuda = "cuda";
    public const string Nvrtc = "nvrtc";
    public const string Cublas = "cublas";
}
