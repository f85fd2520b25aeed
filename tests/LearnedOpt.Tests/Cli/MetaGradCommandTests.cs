using System.Runtime.InteropServices;
using System.Text.Json;
using LearnedOpt.Backends;
using LearnedOpt.IO;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;
using LearnedOpt.Tests.Hrnn;

namespace LearnedOpt.Tests.Cli;

/// <summary>lopt meta-grad: the file contract round trip, the objective's definition, flags and bad input.</summary>
[Collection(CliCollection.Name)]
[Trait("tier", "cpu")]
public sealed class MetaGradCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lopt-metagrad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const int M = 6, N = 4;

    private (string Weights, string Problem, HrnnWeights W, float[] A, float[] B, float[] X0) Files(SafeTensorDType dtype = SafeTensorDType.F32)
    {
        var w = HrnnTestData.Exercised(4, 5, 3).With("readout/lr/b", [5f]);  // larger steps: x moves visibly
        var rng = new Rng(8);
        var a = Enumerable.Range(0, M * N).Select(_ => (float)rng.Gaussian(0, 0.5)).ToArray();
        var b = Enumerable.Range(0, M).Select(_ => (float)rng.Gaussian(0, 1)).ToArray();
        var x0 = Enumerable.Range(0, N).Select(_ => (float)rng.Gaussian(0, 1)).ToArray();
        string wp = Path.Combine(_dir, "w.safetensors"), qp = Path.Combine(_dir, $"q-{dtype}.safetensors");
        w.Save(wp);
        SafeTensor T(string name, long[] shape, float[] v) => dtype == SafeTensorDType.F32
            ? SafeTensor.FromFloats(name, shape, v)
            : new SafeTensor(name, SafeTensorDType.F64, shape, MemoryMarshal.AsBytes(v.Select(x => (double)x).ToArray().AsSpan()).ToArray());
        SafeTensorsFile.Write(qp, [T("A", [M, N], a), T("b", [M], b), T("x0", [N], x0)]);
        return (wp, qp, w, a, b, x0);
    }

    [Fact]
    public void WritesEveryWeightTensorAndPrintsTheMetaObjective()
    {
        var (wp, qp, w, a, b, x0) = Files();
        string gp = Path.Combine(_dir, "g.safetensors");
        const int T = 5;
        var (exit, output, err) = CliRunner.Run("meta-grad", "--weights", wp, "--problem", qp, "--unroll", "5", "--out", gp, "--json");
        Assert.True(exit == 0, err);
        double printed = JsonDocument.Parse(output).RootElement.GetProperty("meta_loss").GetDouble();

        // M from the production float32 step on the same problem: q = f(x_0..x_T), (1/(T+1)) Σ ln(q/(f0 + 1e-6) + 1e-6).
        var task = new LeastSquaresTask(a.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray(), M, N);
        using var backend = new CpuBackend();
        using var opt = new HrnnOptimizer(backend, [new TensorSpec("x", N)], w);
        var x = (float[])x0.Clone();
        double F(float[] p) => task.Loss([p.Select(v => (double)v).ToArray()], null);
        double f0 = F(x), sum = Math.Log(f0 / (f0 + 1e-6) + 1e-6);
        var g = new double[N];
        for (int t = 0; t < T; t++)
        {
            task.Loss([x.Select(v => (double)v).ToArray()], [g]);
            opt.Step(x, g.Select(v => (float)v).ToArray());
            sum += Math.Log(F(x) / (f0 + 1e-6) + 1e-6);
        }
        Assert.True(Math.Abs(F(x) - f0) > 0.05 * f0, $"the loss should change visibly over the unroll: {f0} -> {F(x)}");
        Assert.Equal(sum / (T + 1), printed, 1e-4);

        // G: exactly the weight file's names and shapes, F32, the library's gradient.
        var doc = SafeTensorsFile.Read(gp);
        var layout = HrnnWeights.Layout(w.H0, w.H1, w.H2);
        Assert.Equal(layout.Select(e => e.Name).Order(StringComparer.Ordinal), doc.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(layout.Count, doc.Tensors.Count);
        var expected = TbpttMetaGradient.Compute(w, new TbpttProblem(task, [x0.Select(v => (double)v).ToArray()], f0), new TbpttOptions(T)).Gradient;
        foreach (var (name, shape) in layout)
        {
            var t = doc.Get(name, gp);
            Assert.Equal(SafeTensorDType.F32, t.DType);
            Assert.Equal(shape, t.Shape);
            Assert.Equal(expected[name].Select(v => (float)v).ToArray(), t.ToFloats());
        }
        Assert.Contains(expected["readout/lr/b"], v => Math.Abs(v) > 1e-6);
    }

    [Fact]
    public void FirstOrderChangesTheGradientNotTheObjectiveAndF64ProblemsAreAccepted()
    {
        var (wp, qp, _, _, _, _) = Files();
        var (_, qp64, _, _, _, _) = Files(SafeTensorDType.F64);
        string g2 = Path.Combine(_dir, "g2.safetensors"), g1 = Path.Combine(_dir, "g1.safetensors"), g64 = Path.Combine(_dir, "g64.safetensors");
        var second = CliRunner.Run("meta-grad", "--weights", wp, "--problem", qp, "--unroll", "4", "--out", g2);
        var first = CliRunner.Run("meta-grad", "--weights", wp, "--problem", qp, "--unroll", "4", "--out", g1, "--first-order");
        var f64 = CliRunner.Run("meta-grad", "--weights", wp, "--problem", qp64, "--unroll", "4", "--out", g64, "--checkpoint-every", "3");
        Assert.True(second.Exit == 0 && first.Exit == 0 && f64.Exit == 0, second.Err + first.Err + f64.Err);
        Assert.StartsWith("meta_loss = ", second.Out);
        Assert.Equal(second.Out, first.Out);
        Assert.Equal(second.Out, f64.Out);
        var a = SafeTensorsFile.Read(g2);
        var b = SafeTensorsFile.Read(g1);
        var c = SafeTensorsFile.Read(g64);
        Assert.Contains(a.Tensors, t => !t.ToFloats().SequenceEqual(b.Get(t.Name).ToFloats()));
        Assert.All(a.Tensors, t => Assert.Equal(t.ToFloats(), c.Get(t.Name).ToFloats()));
    }

    [Fact]
    public void BadInputExitsWithOneLineNamingTheProblem()
    {
        var (wp, qp, _, _, _, _) = Files();
        string gp = Path.Combine(_dir, "g.safetensors");
        var zero = CliRunner.Run("meta-grad", "--weights", wp, "--problem", qp, "--unroll", "0", "--out", gp);
        Assert.Equal(2, zero.Exit);
        Assert.Contains("--unroll", zero.Err);

        string bad = Path.Combine(_dir, "bad.safetensors");
        SafeTensorsFile.Write(bad, [SafeTensor.FromFloats("A", [3, 2], new float[6]), SafeTensor.FromFloats("b", [2], new float[2]), SafeTensor.FromFloats("x0", [2], new float[2])]);
        var shape = CliRunner.Run("meta-grad", "--weights", wp, "--problem", bad, "--unroll", "2", "--out", gp);
        Assert.Equal(2, shape.Exit);
        Assert.Contains("'b'", shape.Err);
        Assert.Contains("[3]", shape.Err);

        SafeTensorsFile.Write(bad, [SafeTensor.FromFloats("A", [1, 2], [1, float.NaN]), SafeTensor.FromFloats("b", [1], [0]), SafeTensor.FromFloats("x0", [2], [0, 0])]);
        var nan = CliRunner.Run("meta-grad", "--weights", wp, "--problem", bad, "--unroll", "2", "--out", gp);
        Assert.Equal(2, nan.Exit);
        Assert.Contains("'A'", nan.Err);

        SafeTensorsFile.Write(bad, [SafeTensor.FromFloats("A", [1, 2], [1, 2]), SafeTensor.FromFloats("b", [1], [0]), SafeTensor.FromFloats("x0", [2], [0, 0]), SafeTensor.FromFloats("c", [1], [0])]);
        var extra = CliRunner.Run("meta-grad", "--weights", wp, "--problem", bad, "--unroll", "2", "--out", gp);
        Assert.Equal(2, extra.Exit);
        Assert.Contains("'c'", extra.Err);
        Assert.False(File.Exists(gp));
    }
}
