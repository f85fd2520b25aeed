using LearnedOpt.Optim;

namespace LearnedOpt.Tests.Optim;

using Optimizers = LearnedOpt.Optim.Optimizers;

[Trait("tier", "cpu")]
public class GradientClippingTests
{
    [Fact]
    public void ScalesToTheMaximumNormWhenAbove()
    {
        // |(3, 4, 12)| = 13; clipping to 6.5 halves every entry (up to torch's 1e-6 in the denominator).
        float[][] g = [[3f, 4f], [12f]];
        double norm = GradientClipping.ClipByGlobalNorm(g, 6.5);
        Assert.Equal(13.0, norm, 12);
        Assert.Equal(1.5, g[0][0], 5);
        Assert.Equal(2.0, g[0][1], 5);
        Assert.Equal(6.0, g[1][0], 5);
        Assert.Equal(6.5, GradientClipping.GlobalNorm(g), 4);
    }

    [Fact]
    public void LeavesGradientsBelowTheMaximumAlone()
    {
        float[][] g = [[0.3f, -0.4f]];
        Assert.Equal(0.5, GradientClipping.ClipByGlobalNorm(g, 1.0), 6);
        Assert.Equal([0.3f, -0.4f], g[0]);
    }

    [Fact]
    public void NonFiniteNormLeavesGradientsAlone()
    {
        float[][] g = [[float.NaN, 2f]];
        Assert.True(double.IsNaN(GradientClipping.ClipByGlobalNorm(g, 1.0)));
        Assert.Equal(2f, g[0][1]);
    }

    [Fact]
    public void TheOptimizerClipsACopyBeforeStepping()
    {
        var w = new float[] { 0f, 0f };
        var b = new float[] { 0f };
        float[] gw = [3f, 4f], gb = [12f];
        using var sgd = Optimizers.Sgd([w, b], lr: 1.0);
        sgd.MaxGradNorm = 1.3;
        sgd.Step(gw, gb);
        Assert.Equal(13.0, sgd.LastGradientNorm, 12);
        Assert.Equal(-0.3, w[0], 5);
        Assert.Equal(-0.4, w[1], 5);
        Assert.Equal(-1.2, b[0], 5);
        Assert.Equal([3f, 4f], gw);   // the caller's gradients are not changed
        Assert.Equal("MaxGradNorm", Assert.Throws<ArgumentOutOfRangeException>(() => { sgd.MaxGradNorm = 0; }).ParamName);
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm([gw], -1)).ParamName);
    }
}
