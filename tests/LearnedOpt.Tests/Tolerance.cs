using System.Globalization;

namespace LearnedOpt.Tests;

/// <summary>
/// Element-wise closeness: every element within <c>rel·|expected| + abs</c> of its expected value, so
/// that small coordinates are checked as tightly as their own size allows (a tolerance scaled to
/// the largest element leaves them unchecked); <c>abs</c> is the floor for elements near zero.
/// A failure names the worst element (largest error relative to its allowance), its index and both values.
/// </summary>
public static class Tolerance
{
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rel, double abs, string what = "values")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rel);
        ArgumentOutOfRangeException.ThrowIfNegative(abs);
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} elements, expected {expected.Length}");
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (e.Equals(a)) continue;  // equal values, infinities and NaNs included
            double allowance = rel * Math.Abs(e) + abs;
            double err = Math.Abs(a - e);
            // A NaN or infinite error never passes.
            double ratio = double.IsFinite(err) ? err / allowance : double.PositiveInfinity;
            if (!(ratio <= 1) && (worst < 0 || !(ratio <= worstRatio))) { worst = i; worstRatio = ratio; }
        }
        if (worst < 0) return;
        double we = expected[worst], wa = actual[worst];
        Assert.Fail(string.Create(CultureInfo.InvariantCulture,
            $"{what}[{worst}]: {wa:R}, expected {we:R} (error {Math.Abs(wa - we):E3} > {rel:E1} x |expected| + {abs:E1} = {rel * Math.Abs(we) + abs:E3}; worst of {expected.Length})"));
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rel, double abs, string what = "values")
        => AssertClose(Widen(expected), Widen(actual), rel, abs, what);

    public static void AssertClose(IReadOnlyList<double> expected, ReadOnlySpan<float> actual, double rel, double abs, string what = "values")
        => AssertClose(expected.ToArray(), Widen(actual), rel, abs, what);

    private static double[] Widen(ReadOnlySpan<float> values)
    {
        var r = new double[values.Length];
        for (int i = 0; i < values.Length; i++) r[i] = values[i];
        return r;
    }
}
