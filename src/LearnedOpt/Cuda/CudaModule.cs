using System.Text;
using LearnedOpt.Interop;

namespace LearnedOpt.Cuda;

/// <summary>A compiled kernel file loaded into a context; looks up (and caches) its kernels by name.</summary>
public sealed unsafe class CudaModule : IDisposable
{
    private readonly ModuleHandle _handle;
    private readonly Dictionary<string, CudaFunction> _functions = new(StringComparer.Ordinal);

    public CudaModule(CompiledKernel compiled)
    {
        ArgumentNullException.ThrowIfNull(compiled);
        Compiled = compiled;
        _handle = ModuleHandle.Load(compiled.Image);
    }

    public CompiledKernel Compiled { get; }

    /// <summary>The kernel <paramref name="name"/> (an extern "C" __global__ function).</summary>
    public CudaFunction GetFunction(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        lock (_functions)
        {
            if (_functions.TryGetValue(name, out var f)) return f;
            var bytes = Encoding.UTF8.GetBytes(name + "\0");
            nint fn;
            int r;
            fixed (byte* p = bytes) r = CudaDriver.cuModuleGetFunction(&fn, _handle.DangerousGetHandle(), p);
            if (r != CudaDriver.Success)
                throw new ArgumentException($"kernel '{name}' was not found in {Compiled.File} ({Compiled.Target.Name}): {CudaException.Driver(r, "cuModuleGetFunction").Message}", nameof(name));
            f = new CudaFunction(fn, name);
            _functions.Add(name, f);
            return f;
        }
    }

    public void Dispose() => _handle.Dispose();
}
