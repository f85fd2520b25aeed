using LearnedOpt.MetaTraining.Gradients;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>docs/hrnn.md R9: the ±33 clip of the log step passes its gradient straight through.</summary>
[Trait("tier", "cpu")]
public class TbpttClipTests
{
    [Fact]
    public void ClippedLogStepPassesTheGradientStraightThrough()
    {
        // b_ℓ = 45 puts a = clip(ℓ + h·w_ℓ + b_ℓ) at +33 for every coordinate. With one step, a
        // reaches M only through θ₁ = θ₀ − exp(a + o)·c·d, where a and o enter alike: the
        // straight-through gradient of b_ℓ must equal that of o, while the true derivative through
        // the clip (central differences) is zero.
        var task = new QuarticLeastSquaresTask([3, 2], 41);
        var w = MetaGradTestData.Weights(41);
        w["readout/lr/b"][0] = 45;
        var problem = MetaGradTestData.Problem(task, 41) with { InitialLogLr = null };
        var r = TbpttMetaGradient.Compute(w, problem, new TbpttOptions(1));
        double go = r.Gradient["lr/step_offset"][0], gb = r.Gradient["readout/lr/b"][0];
        Assert.True(Math.Abs(go) > 0.1, $"dM/do = {go} should be large (the step is exp(33 + o))");
        Assert.Equal(go, gb, 1e-9 * Math.Abs(go));

        double Fd(string name)
        {
            const double h = 1e-6;
            var plus = w.Clone();
            plus[name][0] += h;
            var minus = w.Clone();
            minus[name][0] -= h;
            return (TbpttMetaGradient.Evaluate(plus, problem, 1).MetaLoss - TbpttMetaGradient.Evaluate(minus, problem, 1).MetaLoss) / (2 * h);
        }
        Assert.Equal(go, Fd("lr/step_offset"), 1e-5 * Math.Abs(go));
        Assert.Equal(0.0, Fd("readout/lr/b"));
    }
}
