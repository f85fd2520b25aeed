namespace LearnedOpt.Backends;

/// <summary>Which engine runs the kernels.</summary>
public enum BackendKind
{
    Cpu,
    Cuda,
}

/// <summary>Where a tensor's memory lives.</summary>
public enum MemoryLocation
{
    Host,
    CudaDevice,
}
