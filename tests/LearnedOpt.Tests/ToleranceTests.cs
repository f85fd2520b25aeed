namespace LearnedOpt.Tests;

/// <summary>The shared element-wise tolerance checks small elements on their own scale and names the worst one.</summary>
[Trait("tier", "cpu")]
public class ToleranceTests
{
    [Fact]
    public void PassesWithinRelativePlusAbsolute()
        => Tolerance.AssertClose([1000.0, 1e-3, 0.0], [1000.9, 1.0009e-3, 1e-9], rel: 1e-3, abs: 1e-8);

    [Fact]
    public void ASmallElementFailsEvenWhenALargeOneIsPresent()
    {
        // 1e-3 vs 2e-3 is within 1e-3 of the largest element (1000) but far off on its own scale.
        var e = Assert.ThrowsAny<Exception>(() => Tolerance.AssertClose([1000.0, 1e-3], [1000.0, 2e-3], rel: 1e-3, abs: 1e-8, what: "g"));
        Assert.Contains("g[1]", e.Message);
        Assert.Contains("0.002", e.Message);
        Assert.Contains("0.001", e.Message);
    }

    [Fact]
    public void ReportsTheWorstElementNotTheFirst()
    {
        var e = Assert.ThrowsAny<Exception>(() => Tolerance.AssertClose([1.0, 1.0, 1.0], [1.1, 1.0, 3.0], rel: 1e-3, abs: 0));
        Assert.Contains("values[2]", e.Message);
    }

    [Fact]
    public void NaNFailsUnlessExpected()
    {
        Tolerance.AssertClose([double.NaN, double.PositiveInfinity], [double.NaN, double.PositiveInfinity], 0, 0);
        Assert.ThrowsAny<Exception>(() => Tolerance.AssertClose([1.0], [double.NaN], rel: 1, abs: 1));
        Assert.ThrowsAny<Exception>(() => Tolerance.AssertClose([double.NaN], [1.0], rel: 1, abs: 1));
    }

    [Fact]
    public void LengthMismatchFails() => Assert.ThrowsAny<Exception>(() => Tolerance.AssertClose([1.0, 2.0], [1.0], 0, 0));
}
