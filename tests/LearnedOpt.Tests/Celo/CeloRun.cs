using LearnedOpt.Backends;
using LearnedOpt.IO;
using LearnedOpt.Optimizers.Celo;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tests.Celo;

/// <summary>Shared set-up of the Celo tests: tensors of every kind, seeded parameters and gradients, and stepping helpers.</summary>
internal static class CeloRun
{
    /// <summary>0-D, 1-D, tall, wide, tied and 4-D tensors (every factoring case).</summary>
    public static List<TensorSpec> MixedSpecs() =>
    [
        new("scalar", []), new("bias", [7]), new("tall", [6, 3]), new("wide", [3, 5]), new("tie", [4, 4]), new("conv", [3, 2, 4, 5]),
    ];

    public static float[] Random(Random rng, long n, double scale)
    {
        var v = new float[n];
        for (long i = 0; i < n; i++) v[i] = (float)(scale * (2 * rng.NextDouble() - 1));
        return v;
    }

    public static List<float[]> Params(IReadOnlyList<TensorSpec> specs, int seed)
    {
        var rng = new Random(seed);
        return specs.Select((s, k) => Random(rng, s.Length, 0.5 + k * 0.3)).ToList();
    }

    /// <summary>Gradients whose scales differ per tensor and per step; one entry per step beyond the ±1000 clip.</summary>
    public static List<float[]> Grads(IReadOnlyList<TensorSpec> specs, int seed, int step)
    {
        var rng = new Random(seed * 1000 + step);
        var g = specs.Select((s, k) => Random(rng, s.Length, Math.Pow(10, (k % 4) - 2))).ToList();
        g[^1][step % g[^1].Length] = 5000f;
        return g;
    }

    public static float[] Copy(float[] v) => (float[])v.Clone();

    public static SafeTensorsFile.Document State(CeloOptimizer opt) => new(opt.ExportState(), new Dictionary<string, string>());

    public static CeloOptimizer Create(IBackend backend, IReadOnlyList<TensorSpec> specs, CeloWeights weights, long totalSteps = 50, int phase = 2)
        => new(backend, specs, weights, totalSteps, phase);

    public static void Step(CeloOptimizer opt, float loss, List<float[]> p, List<float[]> g)
    {
        opt.ObserveLoss(loss);
        opt.Step(p, g);
    }

    /// <summary>
    /// How far a float32 step (before → after) is from the expected Δ, as a fraction of what is
    /// allowed: 1e-5 of the tensor's largest expected |Δ| plus <paramref name="ulps"/> units in the
    /// last place of the parameter (a float32 parameter cannot hold its step more finely). ≤ 1 passes.
    /// </summary>
    public static double StepError(float[] before, float[] after, IReadOnlyList<double> expected, int ulps = 1)
    {
        double scale = expected.Max(Math.Abs), worst = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            float a = MathF.Abs(after[i]);
            double allowed = 1e-5 * scale + ulps * (double)(MathF.BitIncrement(a) - a);
            worst = Math.Max(worst, Math.Abs((double)before[i] - after[i] - expected[i]) / allowed);
        }
        return worst;
    }

    /// <summary>max |a - b| over max |b| (0 when both are 0).</summary>
    public static double RelativeToScale(IReadOnlyList<double> actual, IReadOnlyList<double> expected)
    {
        double scale = expected.Max(Math.Abs), err = 0;
        for (int i = 0; i < expected.Count; i++) err = Math.Max(err, Math.Abs(actual[i] - expected[i]));
        return scale == 0 ? err : err / scale;
    }
}
