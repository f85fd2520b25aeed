using LearnedOpt.Cuda;

namespace LearnedOpt.Tests.Cuda;

/// <summary>Target choice is a pure function of the device's arch and NVRTC's list: tested without a GPU.</summary>
[Trait("tier", "cpu")]
public class ArchSelectionTests
{
    // NVRTC 11.8's list.
    private static readonly int[] Nvrtc118 = [35, 37, 50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90];

    [Theory]
    [InlineData(80)]
    [InlineData(86)]
    [InlineData(90)]
    public void KnownArchGetsACubinForExactlyThatArch(int device)
        => Assert.Equal(CompileTarget.Cubin(device), ArchSelection.Choose(device, Nvrtc118));

    [Theory]
    [InlineData(100, 90)] // Blackwell on NVRTC 11.8: PTX of Hopper, JIT-compiled forward by the driver
    [InlineData(120, 90)]
    [InlineData(91, 90)]
    public void NewerDeviceFallsBackToPtxOfTheNewestOlderArch(int device, int expected)
    {
        var t = ArchSelection.Choose(device, Nvrtc118);
        Assert.True(t.Ptx);
        Assert.Equal(expected, t.Arch);
        Assert.Equal($"compute_{expected}", t.Name);
        Assert.Equal($"--gpu-architecture=compute_{expected}", t.Option);
    }

    [Fact]
    public void ArchMissingFromTheListUsesPtxOfTheNextOlder()
    {
        var t = ArchSelection.Choose(89, [80, 86, 90]);
        Assert.Equal(new CompileTarget(86, Ptx: true), t);
    }

    [Fact]
    public void UnsortedListIsHandled()
        => Assert.Equal(new CompileTarget(90, true), ArchSelection.Choose(100, [90, 52, 80]));

    [Fact]
    public void DeviceOlderThanEveryArchIsAClearError()
    {
        var e = Assert.Throws<NotSupportedException>(() => ArchSelection.Choose(60, [75, 80, 90]));
        Assert.Contains("sm_60", e.Message);
        Assert.Contains("sm_75, sm_80, sm_90", e.Message);
    }

    [Fact]
    public void NonPositiveArchIsRejected()
        => Assert.Equal("deviceArch", Assert.Throws<ArgumentOutOfRangeException>(() => ArchSelection.Choose(0, Nvrtc118)).ParamName);

    [Theory]
    [InlineData("sm_80", 80, false)]
    [InlineData("SM_90", 90, false)]
    [InlineData("sm90", 90, false)]
    [InlineData("86", 86, false)]
    [InlineData("compute_90", 90, true)]
    public void ParseAcceptsTheUsualSpellings(string text, int arch, bool ptx)
        => Assert.Equal(new CompileTarget(arch, ptx), CompileTarget.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("sm_")]
    [InlineData("gfx90a")]
    [InlineData("sm_-80")]
    [InlineData("sm_8")]
    public void ParseRejectsGarbageNamingTheArgument(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => CompileTarget.Parse(text));
        Assert.Equal("arch", e.ParamName);
        Assert.Contains($"'{text}'", e.Message);
    }
}
