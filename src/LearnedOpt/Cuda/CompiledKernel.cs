namespace LearnedOpt.Cuda;

/// <summary>
/// The output of <see cref="KernelCompiler"/>: a CUBIN (ELF) or NUL-terminated PTX image for
/// cuModuleLoadData, the NVRTC log (empty when it came from the cache) and where it came from.
/// </summary>
public sealed record CompiledKernel(string File, CompileTarget Target, byte[] Image, string Log, bool FromCache, string CacheKey);
