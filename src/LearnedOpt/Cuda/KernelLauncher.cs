using LearnedOpt.Interop;

namespace LearnedOpt.Cuda;

/// <summary>
/// cuLaunchKernel without per-launch heap allocation: callers pass <c>void** args</c> built with
/// stackalloc from pointers to their locals, e.g.
/// <code>ulong p = ...; long n = ...; var args = stackalloc void*[] { &amp;p, &amp;n }; KernelLauncher.Launch(f, grid, block, 0, stream, args);</code>
/// Structs passed by value (lopt_coef) are pointers to a local copy of the struct.
/// </summary>
public static unsafe class KernelLauncher
{
    /// <summary>Threads per block of our grid-stride kernels (they declare __launch_bounds__(256)).</summary>
    public const int DefaultBlock = 256;

    public static void Launch(CudaFunction function, Dim3 grid, Dim3 block, uint sharedMemBytes, nint stream, void** args)
    {
        if (function.IsNull) throw new ArgumentException("function is a null CUfunction.", nameof(function));
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0) throw new ArgumentOutOfRangeException(nameof(grid), grid, "every grid dimension must be >= 1.");
        if (block.X == 0 || block.Y == 0 || block.Z == 0) throw new ArgumentOutOfRangeException(nameof(block), block, "every block dimension must be >= 1.");
        var r = CudaDriver.cuLaunchKernel(function.Handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, sharedMemBytes, stream, args, null);
        if (r != CudaDriver.Success) throw CudaException.Driver(r, $"cuLaunchKernel({function.Name})");
    }

    /// <summary>
    /// Blocks for a grid-stride loop over <paramref name="n"/> elements: enough to cover n, capped at
    /// one full wave (every SM filled to its thread limit); each thread then strides over the rest.
    /// </summary>
    public static uint GridStrideBlocks(long n, int block, int multiprocessors, int maxThreadsPerMultiprocessor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(block, 1);
        long needed = Math.Max(1, (n + block - 1) / block);
        long wave = Math.Max(1, (long)multiprocessors * Math.Max(1, maxThreadsPerMultiprocessor / block));
        return (uint)Math.Min(needed, wave);
    }
}
