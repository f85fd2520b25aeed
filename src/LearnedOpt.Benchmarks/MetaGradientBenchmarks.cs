using BenchmarkDotNet.Attributes;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Randomness;

namespace LearnedOpt.Benchmarks;

/// <summary>
/// TBPTT meta-gradients (float64, CPU) for a batch of least-squares problems. Throughput in
/// meta-gradient problem-steps per second = Problems · Steps / time.
/// </summary>
[MemoryDiagnoser]
public class MetaGradientBenchmarks
{
    private HrnnParameters _w = null!;
    private TbpttProblem[] _problems = null!;
    private TbpttOptions _options = null!;

    [Params(16)]
    public int Problems { get; set; }

    [Params(10, 1000)]
    public int Dimension { get; set; }

    [Params(20)]
    public int Steps { get; set; }

    [Params(false, true)]
    public bool FirstOrder { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _w = HrnnParameters.FromWeights(HrnnWeightInit.Create(1));
        _problems = Enumerable.Range(0, Problems).Select(i =>
        {
            var rng = new Rng((ulong)i);
            int n = Dimension, m = Dimension;
            var a = Enumerable.Range(0, m * n).Select(_ => rng.NextGaussian() / Math.Sqrt(n)).ToArray();
            var b = Enumerable.Range(0, m).Select(_ => rng.NextGaussian()).ToArray();
            var task = new LeastSquaresTask(a, b, m, n);
            var x0 = new[] { Enumerable.Range(0, n).Select(_ => rng.NextGaussian()).ToArray() };
            return new TbpttProblem(task, x0, task.Loss(x0, null));
        }).ToArray();
        _options = new TbpttOptions(Steps, FirstOrder, CheckpointEvery: 5);
    }

    [Benchmark]
    public double Batch() => TbpttMetaGradient.Mean(TbpttMetaGradient.ComputeBatch(_w, _problems, _options)).MetaLoss;
}
