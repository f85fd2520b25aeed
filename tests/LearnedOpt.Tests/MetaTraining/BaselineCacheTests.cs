using LearnedOpt.Backends;
using LearnedOpt.MetaTraining.Evaluation;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tasks;

namespace LearnedOpt.Tests.MetaTraining;

[Trait("tier", "cpu")]
public sealed class BaselineCacheTests : IDisposable
{
    private static readonly HeldOutSuite.Member L2o = HeldOutSuite.Members.Single(m => m.Task == "l2o-quadratic");
    private readonly string _dir = Directory.CreateTempSubdirectory("lopt-baseline-cache-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (TaskResult Result, int Computed) Evaluate(BaselineCache? cache, int steps, int weightSeed)
    {
        var e = new HeldOutEvaluator(new CpuBackend(), HrnnWeightInit.Create((ulong)weightSeed))
        {
            Seeds = 2, TuningSeeds = 1, Steps = steps, Grid = [1e-2, 1e-1], Threads = 2, Cache = cache,
        };
        return (e.Evaluate(L2o), e.BaselinesComputed);
    }

    [Fact]
    public void ASecondEvaluationOfOtherWeightsReusesTheTunedBaselinesExactly()
    {
        string path = Path.Combine(_dir, "baselines.json");
        var (first, computedFirst) = Evaluate(BaselineCache.Open(path), 20, 3);
        Assert.Equal(HeldOutEvaluator.Baselines.Length, computedFirst);
        // Reopened from the file, with other HRNN weights: the baselines come from the cache, bit for bit.
        var (second, computedSecond) = Evaluate(BaselineCache.Open(path), 20, 4);
        Assert.Equal(0, computedSecond);
        var (fresh, _) = Evaluate(null, 20, 4);
        foreach (var (name, _) in HeldOutEvaluator.Baselines)
        {
            var a = second.Optimizers.Single(o => o.Optimizer == name);
            var b = fresh.Optimizers.Single(o => o.Optimizer == name);
            Assert.Equal(b.LearningRate, a.LearningRate);
            Assert.Equal(b.FinalLog10, a.FinalLog10);
            Assert.Equal(b.CurveLog10, a.CurveLog10);
            Assert.Equal(b.Diverged, a.Diverged);
            Assert.Equal(b.Spikes, a.Spikes);
        }
        // The HRNN is always run: other weights, other numbers.
        Assert.NotEqual(first.Hrnn!.FinalLog10, second.Hrnn!.FinalLog10);
    }

    [Fact]
    public void AnotherHorizonIsAnotherKey()
    {
        var cache = BaselineCache.Open(Path.Combine(_dir, "baselines.json"));
        Evaluate(cache, 20, 3);
        var (_, computed) = Evaluate(cache, 25, 3);
        Assert.Equal(HeldOutEvaluator.Baselines.Length, computed);
        Assert.Equal(2 * HeldOutEvaluator.Baselines.Length, cache.Count);
    }

    [Fact]
    public void AFileThatIsNotACacheIsRefusedWithItsPath()
    {
        string path = Path.Combine(_dir, "broken.json");
        File.WriteAllText(path, "{ not json");
        var e = Assert.Throws<InvalidDataException>(() => BaselineCache.Open(path));
        Assert.Contains(path, e.Message);
    }
}
