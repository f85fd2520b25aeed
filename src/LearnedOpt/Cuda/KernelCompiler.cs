using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Cuda;

/// <summary>
/// Compiles kernel sources with NVRTC (in-memory headers from <see cref="KernelSources"/>) to a
/// CUBIN or PTX, through a disk cache keyed by the SHA-256 of everything that affects the output:
/// source, every header, options, target and NVRTC version.
/// </summary>
public sealed unsafe class KernelCompiler
{
    /// <summary>
    /// No fast-math and no FMA contraction: the CPU library is built with -ffp-contract=off, so
    /// with --fmad=false both backends round every a*b+c the same way (CPU/GPU parity). The
    /// optimizer kernels are memory bound, so FMA would not make them faster anyway.
    /// </summary>
    public static readonly IReadOnlyList<string> BaseOptions = ["-std=c++17", "--fmad=false"];

    private readonly Lazy<(int Major, int Minor)> _version = new(CudaLibraries.NvrtcVersion);

    /// <param name="cache">Where compiled images are kept; null disables caching.</param>
    public KernelCompiler(KernelCache? cache)
    {
        Cache = cache;
    }

    /// <summary>A compiler over the default cache folder (see <see cref="KernelCache.DefaultDirectory()"/>).</summary>
    public KernelCompiler() : this(new KernelCache(KernelCache.DefaultDirectory())) { }

    public KernelCache? Cache { get; }

    public (int Major, int Minor) NvrtcVersion => _version.Value;

    /// <summary>The target for a device of compute capability <paramref name="deviceArch"/> (see <see cref="ArchSelection"/>).</summary>
    public static CompileTarget TargetFor(int deviceArch) => ArchSelection.Choose(deviceArch, CudaLibraries.NvrtcSupportedArchs());

    /// <summary>Compiles an embedded kernel file (e.g. "optim.cu").</summary>
    public CompiledKernel Compile(string file, CompileTarget target) => Compile(file, KernelSources.Source(file), target);

    /// <summary>Compiles <paramref name="source"/> named <paramref name="file"/> against the embedded headers.</summary>
    public CompiledKernel Compile(string file, string source, CompileTarget target)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(file);
        ArgumentNullException.ThrowIfNull(source);
        CudaLibraries.Require(LibraryNames.Nvrtc, "nvrtcCreateProgram");
        var headers = KernelSources.Headers;
        var options = BaseOptions.Append(target.Option).ToArray();
        var key = CacheKey(file, source, headers, options, target, NvrtcVersion);
        var entry = $"{Path.GetFileNameWithoutExtension(file)}-{target.Name}-{key[..32]}.{target.Extension}";

        if (Cache?.TryRead(entry) is { } cached)
            return new CompiledKernel(file, target, cached, "", true, key);

        var (image, log) = RunNvrtc(file, source, headers, options, target);
        Cache?.TryWrite(entry, image);
        return new CompiledKernel(file, target, image, log, false, key);
    }

    /// <summary>SHA-256 (hex) of every input of a compilation, each length-prefixed so no two inputs can alias.</summary>
    public static string CacheKey(string file, string source, IReadOnlyList<KernelSources.KernelHeader> headers,
        IReadOnlyList<string> options, CompileTarget target, (int Major, int Minor) nvrtcVersion)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            h.AppendData(BitConverter.GetBytes((long)bytes.Length));
            h.AppendData(bytes);
        }
        Add("learnedopt-kernel-cache-v1");
        Add(file);
        Add(source);
        foreach (var header in headers) { Add(header.IncludeName); Add(header.Text); }
        foreach (var o in options) Add(o);
        Add(target.Name);
        Add($"nvrtc {nvrtcVersion.Major}.{nvrtcVersion.Minor}");
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    private static (byte[] Image, string Log) RunNvrtc(string file, string source, IReadOnlyList<KernelSources.KernelHeader> headers,
        string[] options, CompileTarget target)
    {
        // Every string NVRTC reads is a NUL-terminated UTF-8 copy in unmanaged memory, freed below.
        var allocations = new List<nint>();
        byte* Utf8(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            var p = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
            bytes.CopyTo(new Span<byte>(p, bytes.Length));
            p[bytes.Length] = 0;
            allocations.Add((nint)p);
            return p;
        }

        nint program = 0;
        try
        {
            var headerTexts = stackalloc byte*[Math.Max(headers.Count, 1)];
            var headerNames = stackalloc byte*[Math.Max(headers.Count, 1)];
            for (int i = 0; i < headers.Count; i++)
            {
                headerTexts[i] = Utf8(headers[i].Text);
                headerNames[i] = Utf8(headers[i].IncludeName);
            }
            CudaException.ThrowIfNvrtcFailed(
                Nvrtc.nvrtcCreateProgram(&program, Utf8(source), Utf8(file), headers.Count, headerTexts, headerNames), "nvrtcCreateProgram");

            var opts = stackalloc byte*[options.Length];
            for (int i = 0; i < options.Length; i++) opts[i] = Utf8(options[i]);
            var result = Nvrtc.nvrtcCompileProgram(program, options.Length, opts);
            var log = ProgramLog(program);
            if (result != Nvrtc.Success)
                throw CudaException.Nvrtc(result, $"nvrtcCompileProgram({file}, {target.Name})", log);

            nuint size;
            byte[] image;
            if (target.Ptx)
            {
                CudaException.ThrowIfNvrtcFailed(Nvrtc.nvrtcGetPTXSize(program, &size), "nvrtcGetPTXSize");
                image = new byte[(int)size]; // includes the terminating NUL cuModuleLoadData needs
                fixed (byte* p = image) CudaException.ThrowIfNvrtcFailed(Nvrtc.nvrtcGetPTX(program, p), "nvrtcGetPTX");
            }
            else
            {
                CudaException.ThrowIfNvrtcFailed(Nvrtc.nvrtcGetCUBINSize(program, &size), "nvrtcGetCUBINSize");
                image = new byte[(int)size];
                fixed (byte* p = image) CudaException.ThrowIfNvrtcFailed(Nvrtc.nvrtcGetCUBIN(program, p), "nvrtcGetCUBIN");
            }
            return (image, log);
        }
        finally
        {
            if (program != 0) Nvrtc.nvrtcDestroyProgram(&program);
            foreach (var p in allocations) NativeMemory.Free((void*)p);
        }
    }

    private static string ProgramLog(nint program)
    {
        nuint size;
        if (Nvrtc.nvrtcGetProgramLogSize(program, &size) != Nvrtc.Success || size <= 1) return "";
        var buffer = new byte[(int)size];
        fixed (byte* p = buffer)
            if (Nvrtc.nvrtcGetProgramLog(program, p) != Nvrtc.Success) return "";
        return Encoding.UTF8.GetString(buffer, 0, buffer.Length - 1).Trim();
    }
}
