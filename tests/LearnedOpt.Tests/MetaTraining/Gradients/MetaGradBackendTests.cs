using LearnedOpt.IO;
using LearnedOpt.Randomness;
using LearnedOpt.Tests.Cli;
using LearnedOpt.Tests.Cuda;
using LearnedOpt.Tests.Hrnn;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// <c>lopt meta-grad --backend</c>: cpu is the default and gives the same file; cuda gives the cpu
/// output (GPU tier: meta_loss to 1e-9, the F32 gradient to float rounding of a 1e-9 difference)
/// and, without a device, fails with a message that says so.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class MetaGradBackendTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lopt-metagrad-backend-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Weights, string Problem) Files()
    {
        const int m = 20, n = 300;
        var w = HrnnTestData.Exercised(6, 5, 3).With("readout/lr/b", [5f]);
        var rng = new Rng(12);
        float[] R(int count, double s) => Enumerable.Range(0, count).Select(_ => (float)rng.Gaussian(0, s)).ToArray();
        string wp = Path.Combine(_dir, "w.safetensors"), qp = Path.Combine(_dir, "q.safetensors");
        w.Save(wp);
        SafeTensorsFile.Write(qp, [SafeTensor.FromFloats("A", [m, n], R(m * n, 0.1)), SafeTensor.FromFloats("b", [m], R(m, 1)), SafeTensor.FromFloats("x0", [n], R(n, 1))]);
        return (wp, qp);
    }

    private (double MetaLoss, Dictionary<string, float[]> Gradient) Run(string weights, string problem, params string[] extra)
    {
        string gp = Path.Combine(_dir, $"g{Guid.NewGuid():N}.safetensors");
        var (exit, output, err) = CliRunner.Run(["meta-grad", "--weights", weights, "--problem", problem, "--unroll", "6", "--checkpoint-every", "4", "--out", gp, "--json", .. extra]);
        Assert.True(exit == 0, err);
        double m = System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("meta_loss").GetDouble();
        return (m, SafeTensorsFile.Read(gp).Tensors.ToDictionary(t => t.Name, t => t.ToFloats()));
    }

    [Trait("tier", "cpu")]
    [Fact]
    public void CpuIsTheDefaultBackend()
    {
        var (wp, qp) = Files();
        var dflt = Run(wp, qp);
        var cpu = Run(wp, qp, "--backend", "cpu");
        Assert.Equal(dflt.MetaLoss, cpu.MetaLoss);
        foreach (var (name, g) in dflt.Gradient) Assert.Equal(g, cpu.Gradient[name]);
    }

    [Trait("tier", "cpu")]
    [Fact]
    public void SummaryNamesTheBackendAndTheTimeSplit()
    {
        var (wp, qp) = Files();
        var (exit, output, err) = CliRunner.Run("meta-grad", "--weights", wp, "--problem", qp, "--unroll", "3", "--out", Path.Combine(_dir, "g.safetensors"));
        Assert.True(exit == 0, err);
        Assert.StartsWith("meta_loss = ", output);
        Assert.Contains("backend: cpu (forced)", err);
        Assert.Matches(@"optimizer step \d+ ?%, task \d+ ?%, backward \d+ ?%", err);
    }

    [Trait("tier", "cpu")]
    [Fact]
    public void CudaWithoutADeviceFailsWithAReason()
    {
        Assert.SkipWhen(CudaTestEnvironment.HasDevice, "a device is present");
        var (wp, qp) = Files();
        var (exit, _, err) = CliRunner.Run("meta-grad", "--weights", wp, "--problem", qp, "--unroll", "2", "--out", Path.Combine(_dir, "g.safetensors"), "--backend", "cuda");
        Assert.Equal(2, exit);
        Assert.Contains("--backend cuda", err);
    }

    [Trait("tier", "gpu")]
    [Fact]
    public void CudaOutputEqualsCpuOutput()
    {
        Assert.SkipUnless(CudaTestEnvironment.HasDevice, CudaTestEnvironment.Reason);
        var (wp, qp) = Files();
        var cpu = Run(wp, qp, "--backend", "cpu");
        var cuda = Run(wp, qp, "--backend", "cuda");
        Assert.True(Math.Abs(cpu.MetaLoss - cuda.MetaLoss) <= 1e-9 * Math.Abs(cpu.MetaLoss), $"meta_loss {cuda.MetaLoss:R} (cuda) vs {cpu.MetaLoss:R} (cpu)");
        Assert.Equal(cpu.Gradient.Keys.Order(), cuda.Gradient.Keys.Order());
        foreach (var (name, g) in cpu.Gradient)
        {
            double scale = g.Length == 0 ? 0 : g.Max(v => Math.Abs((double)v));
            var c = cuda.Gradient[name];
            for (int i = 0; i < g.Length; i++)
                Assert.True(Math.Abs(g[i] - c[i]) <= 1e-6 * Math.Abs(g[i]) + 1e-9 * scale, $"{name}[{i}]: {c[i]:R} (cuda) vs {g[i]:R} (cpu)");
        }
    }
}
