using LearnedOpt.Backends;
using LearnedOpt.IO;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.MetaTraining;

/// <summary>
/// A forward unroll of the production HRNN step (HrnnOptimizer on the CPU backend) on one synthetic
/// problem: float32 parameters as the optimizer holds them, the task's float64 math on their widened
/// values, the noise stream of step t = Rng(dataSeed).Stream(t) with the episode's minibatch schedule
/// keyed by dataSeed (so epochs are partitioned into disjoint batches and ± trajectories see the same data). The carried state is [θ | optimizer state (export order)].
/// </summary>
public static class HrnnRollout
{
    /// <summary>A fresh episode state: θ₀ from <paramref name="initSeed"/>, optimizer state to be reset.</summary>
    public static InnerState Initial(FlatTask task, ulong initSeed)
    {
        var x = new double[task.Size];
        task.SampleInitial(new Rng(initSeed), x);
        return new InnerState(Array.ConvertAll(x, v => (float)v), fresh: true);
    }

    /// <summary>Full-data loss at a state's θ (as float32, widened).</summary>
    public static double Loss(FlatTask task, InnerState state)
    {
        var x = new double[task.Size];
        for (int i = 0; i < x.Length; i++) x[i] = state.Values[i];
        return task.Value(x, Span<double>.Empty);
    }

    /// <summary>
    /// Runs <paramref name="steps"/> steps from <paramref name="state"/> (updated); returns steps + 1 point losses.
    /// With a <paramref name="growth"/> monitor the points carry its penalty and the run stops at a blow-up
    /// (the remaining points repeat the last one).
    /// </summary>
    public static double[] Run(IBackend backend, FlatTask task, HrnnWeights weights, InnerState state, ulong dataSeed, long startStep, int steps,
                               double initialLoss, double cap, ParameterGrowth.Monitor? growth = null)
    {
        var specs = task.Parameters;
        int size = task.Size;
        using var opt = new HrnnOptimizer(backend, specs, weights);
        var theta = new float[specs.Count][];
        var grads = new float[specs.Count][];
        int offset = 0;
        for (int t = 0; t < specs.Count; t++)
        {
            int n = (int)specs[t].Length;
            theta[t] = state.Values.AsSpan(offset, n).ToArray();
            grads[t] = new float[n];
            offset += n;
        }
        if (!state.Fresh) Import(opt, state.Values.AsSpan(size));

        var x = new double[size];
        var g = new double[size];
        var points = new double[steps + 1];
        Widen(theta, x);
        points[0] = Point(task, x, initialLoss, cap, growth);
        var data = new Rng(dataSeed);
        for (int k = 0; k < steps; k++)
        {
            if (growth is { BlewUp: true })
            {
                Array.Fill(points, points[k], k + 1, steps - k);
                break;
            }
            long step = startStep + k;
            using (PhaseTimer.Time(UnrollPhase.Task))
                task.TrainingValue(x, g, data.Stream(step), step);
            offset = 0;
            for (int t = 0; t < grads.Length; t++)
            {
                var gt = grads[t];
                for (int j = 0; j < gt.Length; j++) gt[j] = (float)g[offset + j];
                offset += gt.Length;
            }
            using (PhaseTimer.Time(UnrollPhase.OptimizerStep, backend))
                opt.Step(theta, grads);
            Widen(theta, x);
            points[k + 1] = Point(task, x, initialLoss, cap, growth);
        }

        var exported = opt.ExportState();
        var values = new float[size + exported.Sum(e => (int)e.ElementCount)];
        offset = 0;
        foreach (var t in theta) { t.CopyTo(values, offset); offset += t.Length; }
        foreach (var e in exported) { var f = e.ToFloats(); f.CopyTo(values, offset); offset += f.Length; }
        state.Values = values;
        state.Fresh = false;
        return points;
    }

    private static double Point(FlatTask task, double[] x, double initialLoss, double cap, ParameterGrowth.Monitor? growth)
    {
        double raw;
        using (PhaseTimer.Time(UnrollPhase.Task))
            raw = task.Value(x, Span<double>.Empty);
        double point = MetaObjective.PointLoss(raw, initialLoss, cap);
        return growth == null ? point : growth.Point(x, raw, point);
    }

    private static void Widen(float[][] theta, double[] x)
    {
        int offset = 0;
        foreach (var t in theta)
        {
            for (int j = 0; j < t.Length; j++) x[offset + j] = t[j];
            offset += t.Length;
        }
    }

    // The flat optimizer part back into named tensors, using a fresh export as the template of names and shapes.
    private static void Import(HrnnOptimizer opt, ReadOnlySpan<float> flat)
    {
        var template = opt.ExportState();
        long total = template.Sum(t => t.ElementCount);
        if (flat.Length != total) throw new InvalidDataException($"inner state: optimizer part has {flat.Length} values, expected {total}.");
        var list = new List<SafeTensor>(template.Count);
        int offset = 0;
        foreach (var t in template)
        {
            int n = (int)t.ElementCount;
            list.Add(SafeTensor.FromFloats(t.Name, t.Shape, flat.Slice(offset, n)));
            offset += n;
        }
        opt.ImportState(new SafeTensorsFile.Document(list, new Dictionary<string, string>()), "inner state");
    }
}
