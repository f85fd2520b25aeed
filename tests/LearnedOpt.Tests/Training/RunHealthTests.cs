using LearnedOpt.Randomness;
using LearnedOpt.Training;

namespace LearnedOpt.Tests.Training;

[Trait("tier", "cpu")]
public class RunHealthTests
{
    [Theory]
    [InlineData(new[] { 1.0, 1.0, 1.0, 1.0 }, 0)]
    // t1: median 1, 11 > 10 is a spike; t2: median (1+11)/2 = 6; t3: median 1.
    [InlineData(new[] { 1.0, 11.0, 1.0, 1.0 }, 1)]
    // Exactly 10× the median is not a spike.
    [InlineData(new[] { 1.0, 10.0 }, 0)]
    // t1: median 1 → spike; t2: median 10.5; t3: median 5, 100 > 50 → spike; t4: median 12.5.
    [InlineData(new[] { 1.0, 20.0, 5.0, 100.0, 3.0 }, 2)]
    // t2: median 3, 30 = 10×3 is not; t4: NaN counts as +∞ against the finite median 12.5; t5: median 21.
    [InlineData(new[] { 4.0, 2.0, 30.0, 21.0, double.NaN, 100.0 }, 1)]
    // Blow-up: the first +∞ is a spike; afterwards the median itself is +∞ (t2: (1+∞)/2).
    [InlineData(new[] { 1.0, double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity }, 1)]
    // A zero median flags nothing.
    [InlineData(new[] { 0.0, 0.0, 5.0 }, 0)]
    [InlineData(new double[0], 0)]
    [InlineData(new[] { 1e30 }, 0)]
    public void SpikesOnConstructedSequences(double[] losses, int expected)
        => Assert.Equal(expected, RunHealth.CountSpikes(losses));

    [Fact]
    public void SpikesMatchABruteForceMedianOnRandomSequences()
    {
        var rng = new Rng(17);
        for (int trial = 0; trial < 50; trial++)
        {
            // A noisy decreasing curve with occasional jumps of 3–300×.
            var losses = new double[200];
            for (int t = 0; t < losses.Length; t++)
            {
                double jump = rng.NextDouble() < 0.05 ? Math.Pow(10, 0.5 + 2 * rng.NextDouble()) : 1;
                losses[t] = Math.Exp(-0.01 * t) * (0.5 + rng.NextDouble()) * jump;
            }
            int expected = 0;
            for (int t = 1; t < losses.Length; t++)
            {
                var prefix = losses.Take(t).OrderBy(v => v).ToArray();
                double median = t % 2 == 1 ? prefix[t / 2] : (prefix[t / 2 - 1] + prefix[t / 2]) / 2;
                if (losses[t] > 10 * median) expected++;
            }
            Assert.Equal(expected, RunHealth.CountSpikes(losses));
        }
    }

    [Fact]
    public void TheFactorIsAnArgument()
    {
        Assert.Equal(1, RunHealth.CountSpikes([1.0, 3.0, 1.0], factor: 2));
        Assert.Equal(0, RunHealth.CountSpikes([1.0, 3.0, 1.0], factor: 3));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RunHealth.CountSpikes([1.0], factor: 0));
        Assert.Equal("factor", e.ParamName);
    }

    [Theory]
    [InlineData(1.0, 0.5, false)]
    [InlineData(1.0, 1.0, false)]
    [InlineData(1.0, 1.0000001, true)]
    [InlineData(1.0, double.NaN, true)]
    [InlineData(1.0, double.PositiveInfinity, true)]
    [InlineData(2e10, 1e10, false)]
    public void DivergedWhenTheFinalLossIsNonFiniteOrAboveTheInitial(double initial, double final, bool expected)
        => Assert.Equal(expected, RunHealth.Diverged(initial, final));
}
