using LearnedOpt.Data;

namespace LearnedOpt.Tests.Data;

/// <summary>Tests that need Fashion-MNIST skip when it is absent, except under CI=true, where that is a failure.</summary>
internal static class FashionMnistGuard
{
    public static string RequireDirectory()
    {
        var dir = FashionMnistLocator.TryFind(out var why);
        if (dir != null) return dir;
        var message = $"Fashion-MNIST is not available ({why}); {FashionMnistLocator.InstallHint}.";
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail("CI=true requires the dataset: " + message);
        Assert.Skip(message);
        return null!;
    }
}
