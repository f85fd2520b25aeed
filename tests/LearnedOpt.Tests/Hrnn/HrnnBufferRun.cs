using LearnedOpt.Tensors;
using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Tests.Hrnn;

/// <summary>An HRNN on a backend stepping backend copies of host arrays (device buffers on CUDA, host buffers on the CPU).</summary>
internal sealed class HrnnBufferRun : IDisposable
{
    private readonly IBackend _backend;
    private readonly DeviceBuffer[] _theta, _grad;

    public HrnnBufferRun(IBackend backend, List<TensorSpec> specs, HrnnWeights weights, float[][] theta)
    {
        _backend = backend;
        Optimizer = new HrnnOptimizer(backend, specs, weights);
        _theta = theta.Select(t => backend.Allocate(t.Length)).ToArray();
        _grad = theta.Select(t => backend.Allocate(t.Length)).ToArray();
        for (int k = 0; k < theta.Length; k++) backend.CopyFromHost(theta[k], _theta[k].View);
    }

    public HrnnOptimizer Optimizer { get; }

    public float[][] Step(float[][] grads)
    {
        for (int k = 0; k < grads.Length; k++) _backend.CopyFromHost(grads[k], _grad[k].View);
        Optimizer.Step(_theta.Select(b => b.View).ToArray(), _grad.Select(b => b.View).ToArray());
        return _theta.Select(b =>
        {
            var host = new float[b.Length];
            _backend.CopyToHost(b.View, host);
            return host;
        }).ToArray();
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        foreach (var b in _theta.Concat(_grad)) b.Dispose();
    }
}
