using System.Runtime.InteropServices;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Interop;

/// <summary>
/// Raw bindings of cuBLAS (libcublas), v2 API. Every function returns a cublasStatus_t (0 = success).
/// Matrices are column-major device pointers (ulong); alpha/beta are host pointers (the default pointer mode).
/// </summary>
internal static unsafe partial class Cublas
{
    static Cublas() => NativeLibraryResolver.Install();

    public const int Success = 0;

    // cublasOperation_t
    public const int OpN = 0;
    public const int OpT = 1;

    // cublasMath_t
    public const int DefaultMath = 0;
    public const int PedanticMath = 2;
    public const int Tf32TensorOpMath = 3;

    // libraryPropertyType
    public const int MajorVersion = 0;
    public const int MinorVersion = 1;
    public const int PatchLevel = 2;

    [LibraryImport(LibraryNames.Cublas)] public static partial int cublasCreate_v2(nint* handle);
    [LibraryImport(LibraryNames.Cublas)] public static partial int cublasDestroy_v2(nint handle);
    [LibraryImport(LibraryNames.Cublas)] public static partial int cublasSetStream_v2(nint handle, nint stream);
    [LibraryImport(LibraryNames.Cublas)] public static partial int cublasSetMathMode(nint handle, int mode);
    [LibraryImport(LibraryNames.Cublas)] public static partial int cublasGetProperty(int type, int* value);

    [LibraryImport(LibraryNames.Cublas)]
    public static partial int cublasSgemm_v2(nint handle, int transA, int transB, int m, int n, int k,
        float* alpha, ulong a, int lda, ulong b, int ldb, float* beta, ulong c, int ldc);

    [LibraryImport(LibraryNames.Cublas)]
    public static partial int cublasSgemmStridedBatched(nint handle, int transA, int transB, int m, int n, int k,
        float* alpha, ulong a, int lda, long strideA, ulong b, int ldb, long strideB,
        float* beta, ulong c, int ldc, long strideC, int batchCount);

    /// <summary>Name of a cublasStatus_t (cublasGetStatusName only exists from cuBLAS 11.4).</summary>
    public static string StatusName(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"CUBLAS_STATUS_{status}",
    };

    /// <summary>What a status means, in words.</summary>
    public static string StatusText(int status) => status switch
    {
        0 => "success",
        1 => "the cuBLAS library was not initialized",
        3 => "resource allocation failed inside cuBLAS",
        7 => "an unsupported value or parameter was passed",
        8 => "the function requires a feature absent from the device architecture",
        11 => "an access to GPU memory space failed",
        13 => "the GPU program failed to execute",
        14 => "an internal cuBLAS operation failed",
        15 => "the functionality requested is not supported",
        16 => "the functionality requested requires a license",
        _ => "unknown cuBLAS status",
    };
}
