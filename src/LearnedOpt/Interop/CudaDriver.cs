using System.Runtime.InteropServices;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Interop;

/// <summary>
/// Raw bindings of the CUDA driver API (libcuda). Every function returns a CUresult (0 = success);
/// handles are opaque pointers (nint), device pointers are CUdeviceptr (ulong), sizes size_t (nuint).
/// Use the safe layer in LearnedOpt.Cuda instead of calling these directly.
/// </summary>
internal static unsafe partial class CudaDriver
{
    static CudaDriver() => NativeLibraryResolver.Install();

    public const int Success = 0;

    // CUdevice_attribute values we read (cuda.h).
    public const int AttrMaxThreadsPerBlock = 1;
    public const int AttrWarpSize = 10;
    public const int AttrClockRate = 13;
    public const int AttrMultiprocessorCount = 16;
    public const int AttrMemoryClockRate = 36;
    public const int AttrGlobalMemoryBusWidth = 37;
    public const int AttrL2CacheSize = 38;
    public const int AttrMaxThreadsPerMultiprocessor = 39;
    public const int AttrComputeCapabilityMajor = 75;
    public const int AttrComputeCapabilityMinor = 76;
    public const int AttrMaxSharedMemoryPerBlockOptin = 97;

    // CUfunction_attribute values.
    public const int FuncMaxThreadsPerBlock = 0;
    public const int FuncSharedSizeBytes = 1;
    public const int FuncLocalSizeBytes = 3;
    public const int FuncNumRegs = 4;

    public const uint StreamNonBlocking = 1;
    public const uint EventDefault = 0;

    [LibraryImport(LibraryNames.Cuda)] public static partial int cuInit(uint flags);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuDriverGetVersion(int* version);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuGetErrorName(int error, byte** name);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuGetErrorString(int error, byte** text);

    [LibraryImport(LibraryNames.Cuda)] public static partial int cuDeviceGetCount(int* count);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuDeviceGet(int* device, int ordinal);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuDeviceGetAttribute(int* value, int attribute, int device);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuDeviceTotalMem_v2(nuint* bytes, int device);

    [LibraryImport(LibraryNames.Cuda)] public static partial int cuDevicePrimaryCtxRetain(nint* context, int device);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuCtxSynchronize();

    [LibraryImport(LibraryNames.Cuda)] public static partial int cuModuleLoadData(nint* module, void* image);
    [LibraryImport(LibraryNames.Cuda)]
    public static partial int cuModuleLoadDataEx(nint* module, void* image, uint numOptions, int* options, void** optionValues);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuModuleUnload(nint module);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuModuleGetFunction(nint* function, nint module, byte* name);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuFuncGetAttribute(int* value, int attribute, nint function);

    [LibraryImport(LibraryNames.Cuda)]
    public static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemBytes, nint stream, void** kernelParams, void** extra);

    [LibraryImport(LibraryNames.Cuda)] public static partial int cuMemAlloc_v2(ulong* devicePointer, nuint bytes);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuMemFree_v2(ulong devicePointer);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuMemAllocHost_v2(void** hostPointer, nuint bytes);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuMemFreeHost(void* hostPointer);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuMemGetInfo_v2(nuint* free, nuint* total);

    [LibraryImport(LibraryNames.Cuda)] public static partial int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuMemcpyHtoDAsync_v2(ulong destination, void* source, nuint bytes, nint stream);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuMemcpyDtoHAsync_v2(void* destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuMemcpyDtoDAsync_v2(ulong destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuMemsetD8Async(ulong destination, byte value, nuint count, nint stream);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuMemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    [LibraryImport(LibraryNames.Cuda)] public static partial int cuStreamCreate(nint* stream, uint flags);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuStreamDestroy_v2(nint stream);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuStreamSynchronize(nint stream);

    [LibraryImport(LibraryNames.Cuda)] public static partial int cuEventCreate(nint* @event, uint flags);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuEventRecord(nint @event, nint stream);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuEventSynchronize(nint @event);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuEventElapsedTime(float* milliseconds, nint start, nint end);
    [LibraryImport(LibraryNames.Cuda)] public static partial int cuEventDestroy_v2(nint @event);
}
