namespace LearnedOpt.Backends;

/// <summary>Creates the CUDA backend when a device is usable; otherwise returns null and why.</summary>
internal static class CudaProbe
{
    public static IBackend? TryCreate(out string reason)
    {
        // Replaced by the CUDA backend (driver API interop) once it lands.
        reason = "this build has no CUDA backend";
        return null;
    }
}
