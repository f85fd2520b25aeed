using BenchmarkDotNet.Attributes;
using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Tensors;

namespace LearnedOpt.Benchmarks;

/// <summary>
/// One fused optimizer step on the CPU backend, beside a copy of the same length (the bandwidth
/// baseline, 8 B/element) in the same process. Effective GB/s = BytesPerParameter · N / time.
/// </summary>
[MemoryDiagnoser]
public class OptimizerStepBenchmarks
{
    private IBackend _backend = null!;
    private DeviceBuffer _p = null!, _g = null!, _copy = null!;
    private Optimizer _opt = null!;
    private TensorView[] _pv = null!, _gv = null!;

    [Params(1_000_000, 10_000_000)]
    public int N { get; set; }

    [Params("adam", "sgd", "powersign")]
    public string Optimizer { get; set; } = "adam";

    [GlobalSetup]
    public void Setup()
    {
        _backend = BackendSelector.CreateCpu();
        _p = _backend.Allocate(N);
        _g = _backend.Allocate(N);
        _copy = _backend.Allocate(N);
        var host = new float[N];
        var rng = new Randomness.Rng(1);
        for (int i = 0; i < N; i++) host[i] = (float)rng.NextGaussian();
        _backend.CopyFromHost(host, _g.View);
        var kind = OptimizerNames.Parse(Optimizer);
        _opt = OptimizerFactory.Create(kind, _backend, [new TensorSpec("w", N)], HyperParameters.Defaults(kind) with { Lr = 1e-6f });
        _pv = [_p.View];
        _gv = [_g.View];
    }

    [Benchmark]
    public void Step() => _opt.Step(_pv, _gv);

    [Benchmark(Baseline = true)]
    public void Copy() => _backend.Copy(_copy.View, _g.View);

    [GlobalCleanup]
    public void Cleanup()
    {
        _opt.Dispose();
        _p.Dispose(); _g.Dispose(); _copy.Dispose();
        _backend.Dispose();
    }
}
