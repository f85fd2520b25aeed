using LearnedOpt.Cli;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Tests.Hrnn;

/// <summary><c>lopt hrnn init</c>, run in-process.</summary>
[Trait("tier", "cpu")]
public class HrnnCliTests
{
    [Fact]
    public void InitWritesTheSameFileForTheSameSeed()
    {
        var dir = Directory.CreateTempSubdirectory("hrnn-cli").FullName;
        try
        {
            string a = Path.Combine(dir, "a.safetensors"), b = Path.Combine(dir, "b.safetensors"), c = Path.Combine(dir, "c.safetensors");
            Assert.Equal(0, LoptProgram.Run(["hrnn", "init", "--seed", "7", "--out", a]));
            Assert.Equal(0, LoptProgram.Run(["hrnn", "init", "--seed", "7", "--out", b]));
            Assert.Equal(0, LoptProgram.Run(["hrnn", "init", "--seed", "7", "--out", c, "--sizes", "10,30,20"]));
            Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
            var w = HrnnWeights.Load(c);
            Assert.Equal((10, 30, 20), (w.H0, w.H1, w.H2));
            Assert.Equal(HrnnWeightInit.Create(7).Get("cell/param/w_x"), HrnnWeights.Load(a).Get("cell/param/w_x"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("12,20,20")]
    [InlineData("10,20")]
    [InlineData("10,0,20")]
    [InlineData("10,x,20")]
    public void BadSizesExitWithCode2(string sizes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"hrnn-bad-{Guid.NewGuid():N}.safetensors");
        Assert.Equal(2, LoptProgram.Run(["hrnn", "init", "--seed", "1", "--out", path, "--sizes", sizes]));
        Assert.False(File.Exists(path));
    }
}
