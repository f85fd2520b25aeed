using LearnedOpt.Backends;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;
using LearnedOpt.Tests.Hrnn;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// The unroll around the adjoint: checkpointing, truncations carrying state, noisy and unusable
/// inner gradients, batches, agreement with the production float32 step, and argument checks.
/// </summary>
[Trait("tier", "cpu")]
public class TbpttUnrollTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CheckpointedBackwardEqualsOneTapeExactly(bool firstOrder)
    {
        var task = new QuarticLeastSquaresTask([4, 3], 5);
        var w = MetaGradTestData.Weights(5);
        var problem = MetaGradTestData.Problem(task, 5);
        var tape = TbpttMetaGradient.Compute(w, problem, new TbpttOptions(7, firstOrder));
        foreach (int every in new[] { 1, 2, 3, 6 })
        {
            var ck = TbpttMetaGradient.Compute(w, problem, new TbpttOptions(7, firstOrder, every));
            Assert.Equal(tape.MetaLoss, ck.MetaLoss);
            foreach (var (name, _) in w.Layout) Assert.Equal(tape.Gradient[name], ck.Gradient[name]);
        }
    }

    [Fact]
    public void LaterTruncationWithNoisyGradientsMatchesFiniteDifferencesAndLeavesH0Alone()
    {
        var task = new QuarticLeastSquaresTask([3, 4], 9);
        var w = MetaGradTestData.Weights(9);
        var first = TbpttMetaGradient.Compute(w, MetaGradTestData.Problem(task, 9), new TbpttOptions(4));

        // Gradient noise fixed per step (as a minibatch schedule would be): no derivative of its own.
        GradientOracle noisy = (t, theta, g) =>
        {
            task.Loss(theta, g);
            var rng = new Rng(77).Fork(t);
            foreach (var gq in g)
                for (int i = 0; i < gq.Length; i++) gq[i] += 0.3 * rng.NextGaussian();
        };
        var second = new TbpttProblem(task, first.FinalTheta, first.Losses[0], first.FinalState, noisy);
        var result = TbpttMetaGradient.Compute(w, second, new TbpttOptions(5));
        Assert.All(new[] { "cell/param/h0", "cell/tensor/h0", "cell/global/h0" }, n => Assert.All(result.Gradient[n], v => Assert.Equal(0.0, v)));
        AssertDirectionalDerivatives(w, second, 5, result.Gradient, 11);
    }

    [Fact]
    public void UnusableInnerGradientSkipsTheTensorAndTheGradientStillMatches()
    {
        var task = new QuarticLeastSquaresTask([3, 2, 4], 13);
        var w = MetaGradTestData.Weights(13);
        GradientOracle oracle = (t, theta, g) =>
        {
            task.Loss(theta, g);
            if (t == 2) g[1][0] = double.NaN;
            if (t == 3) g[2][1] = 1e19;
        };
        var problem = MetaGradTestData.Problem(task, 13, oracle);
        var result = TbpttMetaGradient.Compute(w, problem, new TbpttOptions(5));
        Assert.True(double.IsFinite(result.MetaLoss));
        foreach (var (name, _) in w.Layout) Assert.All(result.Gradient[name], v => Assert.True(double.IsFinite(v), name));
        AssertDirectionalDerivatives(w, problem, 5, result.Gradient, 3);
    }

    [Fact]
    public void BatchEqualsProblemByProblem()
    {
        var w = MetaGradTestData.Weights(21);
        var problems = Enumerable.Range(0, 5).Select(i => MetaGradTestData.Problem(new QuarticLeastSquaresTask([2 + i, 3], (ulong)i), (ulong)i)).ToArray();
        var options = new TbpttOptions(4, CheckpointEvery: 2);
        var batch = TbpttMetaGradient.ComputeBatch(w, problems, options, maxParallelism: 3);
        for (int i = 0; i < problems.Length; i++)
        {
            var single = TbpttMetaGradient.Compute(w, problems[i], options);
            Assert.Equal(single.MetaLoss, batch[i].MetaLoss);
            foreach (var (name, _) in w.Layout) Assert.Equal(single.Gradient[name], batch[i].Gradient[name]);
        }
        var (meanLoss, meanGrad) = TbpttMetaGradient.Mean(batch);
        Assert.Equal(batch.Average(r => r.MetaLoss), meanLoss, 12);
        Assert.Equal(batch.Average(r => r.Gradient["readout/lr/b"][0]), meanGrad["readout/lr/b"][0], 12);
    }

    [Fact]
    public void ForwardAgreesWithTheProductionStep()
    {
        int[] lengths = [1, 5, 37];
        var task = new QuarticLeastSquaresTask(lengths, 3);
        var weights = HrnnTestData.Exercised(3, 20, 20);
        var w = HrnnParameters.FromWeights(weights);
        var theta0 = task.SampleInitialPoint(new Rng(3));
        const float l0 = -4f;
        const int steps = 12;
        // Feed both the same float32 gradients (a non-finite entry at step 4 skips tensor 1 in both).
        var fed = new List<float[][]>();
        GradientOracle oracle = (t, theta, g) =>
        {
            task.Loss(theta, g);
            if (t == 4) g[1][2] = double.PositiveInfinity;
            var f = g.Select(x => x.Select(v => (float)v).ToArray()).ToArray();
            for (int q = 0; q < g.Length; q++)
                for (int i = 0; i < g[q].Length; i++) g[q][i] = f[q][i];
            fed.Add(f);
        };
        var result = TbpttMetaGradient.Evaluate(w, new TbpttProblem(task, theta0, task.Loss(theta0, null), null, oracle, l0), steps);

        using var backend = new CpuBackend();
        using var opt = new HrnnOptimizer(backend, lengths.Select((n, i) => new TensorSpec($"t{i}", n)).ToArray(), weights, l0);
        var theta = theta0.Select(x => x.Select(v => (float)v).ToArray()).ToArray();
        foreach (var g in fed) opt.Step(theta, g);
        Assert.Equal(1, opt.SkippedTensorSteps);

        for (int q = 0; q < lengths.Length; q++)
        {
            double moved = Enumerable.Range(0, lengths[q]).Max(i => Math.Abs(result.FinalTheta[q][i] - theta0[q][i]));
            Assert.True(moved > 1e-3, $"tensor {q} should move (moved {moved})");
            for (int i = 0; i < lengths[q]; i++)
                Assert.True(Math.Abs(theta[q][i] - result.FinalTheta[q][i]) <= 1e-3 * moved + 1e-6,
                    $"θ[{q}][{i}]: float32 step {theta[q][i]} vs float64 unroll {result.FinalTheta[q][i]} (moved {moved})");
        }
        var state = opt.ExportState().ToDictionary(t => t.Name, t => t.ToFloats());
        for (int q = 0; q < lengths.Length; q++)
        {
            int n = lengths[q];
            var h = state[$"param/t{q}/h"];
            var ell = state[$"param/t{q}/log_lr"];
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(result.FinalState.Ell(q, i), ell[i], 1e-3);
                for (int j = 0; j < HrnnParameters.H0; j++) Assert.Equal(result.FinalState.H(q, i, j), h[j * n + i], 1e-3);
            }
            var s = state[$"tensor/t{q}/h"];
            for (int j = 0; j < s.Length; j++) Assert.Equal(result.FinalState.Sk[q][j], s[j], 1e-3);
        }
        var gState = state["global/h"];
        for (int j = 0; j < gState.Length; j++) Assert.Equal(result.FinalState.G[j], gState[j], 1e-3);
    }

    [Fact]
    public void BadArgumentsAreRejectedByName()
    {
        var task = new QuarticLeastSquaresTask([3, 2], 1);
        var w = MetaGradTestData.Weights(1);
        var p = MetaGradTestData.Problem(task, 1);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => TbpttMetaGradient.Compute(w, p, new TbpttOptions(0)));
        Assert.Contains("Steps", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => TbpttMetaGradient.Compute(w, p with { Theta0 = [new double[3], new double[5]] }, new TbpttOptions(2)));
        Assert.Contains("Theta0[1]", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => TbpttMetaGradient.Compute(w, p with { InitialLoss = double.NaN }, new TbpttOptions(2)));
        Assert.Contains("InitialLoss", e3.Message);
        var other = TbpttHrnnState.Initial(MetaGradTestData.Weights(1, 4, 2), [3, 2]);
        var e4 = Assert.Throws<ArgumentException>(() => TbpttMetaGradient.Compute(w, p with { State0 = other }, new TbpttOptions(2)));
        Assert.Contains("State0", e4.Message);
    }

    // Central differences along random unit directions of all weights (float64).
    private static void AssertDirectionalDerivatives(HrnnParameters w, TbpttProblem problem, int steps, HrnnParameters gradient, ulong seed)
    {
        var rng = new Rng(seed).Fork("directions");
        const double h = 1e-6;
        for (int dir = 0; dir < 4; dir++)
        {
            var u = HrnnParameters.Zeros(w.H1, w.H2);
            foreach (var (name, _) in u.Layout)
                for (int i = 0; i < u[name].Length; i++) u[name][i] = rng.NextGaussian();
            u.Add(u, 1.0 / u.Norm() - 1);
            var plus = w.Clone();
            plus.Add(u, h);
            var minus = w.Clone();
            minus.Add(u, -h);
            double fd = (TbpttMetaGradient.Evaluate(plus, problem, steps).MetaLoss - TbpttMetaGradient.Evaluate(minus, problem, steps).MetaLoss) / (2 * h);
            double an = MetaGradTestData.Dot(gradient, u);
            Assert.True(Math.Abs(fd) > 1e-6, $"direction {dir}: derivative {fd} too small to test");
            Assert.True(Math.Abs(fd - an) <= 1e-5 * Math.Max(Math.Abs(fd), Math.Abs(an)) + 1e-9, $"direction {dir}: TBPTT {an:R} vs central difference {fd:R}");
        }
    }
}
