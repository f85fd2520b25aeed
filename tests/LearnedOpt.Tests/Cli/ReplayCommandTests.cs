using LearnedOpt.IO;
using LearnedOpt.Optimizers;
using LearnedOpt.Randomness;
using LearnedOpt.Tests.Optimizers;

namespace LearnedOpt.Tests.Cli;

[Collection(CliCollection.Name)]
[Trait("tier", "cpu")]
public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lopt-replay").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string F(string name) => Path.Combine(_dir, name);

    private (float[] W, float[] B, float[][] Gw, float[][] Gb) WriteProblem(int steps)
    {
        var rng = new Rng(3);
        float[] Draw(int n, double s) => Enumerable.Range(0, n).Select(_ => (float)(s * rng.NextGaussian())).ToArray();
        var w = Draw(6, 1);
        var b = Draw(2, 1);
        var gw = Enumerable.Range(0, steps).Select(_ => Draw(6, 0.3)).ToArray();
        var gb = Enumerable.Range(0, steps).Select(_ => Draw(2, 3)).ToArray();
        SafeTensorsFile.Write(F("p.safetensors"), [SafeTensor.FromFloats("layer/w", [2, 3], w), SafeTensor.FromFloats("b", b)]);
        var grads = new List<SafeTensor>();
        for (int t = 1; t <= steps; t++)
        {
            grads.Add(SafeTensor.FromFloats($"layer/w/{t}", [2, 3], gw[t - 1]));
            grads.Add(SafeTensor.FromFloats($"b/{t}", gb[t - 1]));
        }
        SafeTensorsFile.Write(F("g.safetensors"), grads);
        return (w, b, gw, gb);
    }

    [Theory]
    [InlineData("adam", new[] { "--lr", "0.01", "--weight-decay", "0.1" })]
    [InlineData("adamw", new[] { "--lr", "0.01", "--beta2", "0.95" })]
    [InlineData("sgd", new[] { "--lr", "0.1", "--momentum", "0.9", "--nesterov" })]
    [InlineData("rmsprop", new[] { "--lr", "0.01", "--alpha", "0.9", "--momentum", "0.5" })]
    [InlineData("powersign", new[] { "--decay", "linear", "--total-steps", "20" })]
    public void TrajectoryMatchesTheReferenceAtEveryStep(string optimizer, string[] flags)
    {
        const int steps = 12;
        var (w, b, gw, gb) = WriteProblem(steps);
        var (exit, _, err) = CliRunner.Run(["replay", "--optimizer", optimizer, "--params", F("p.safetensors"), "--grads", F("g.safetensors"),
            "--out", F("u.safetensors"), "--backend", "cpu", "--state-out", F("s.safetensors"), .. flags]);
        Assert.True(exit == 0, err);

        var kind = OptimizerNames.Parse(optimizer);
        var hp = HyperParameters.Defaults(kind);
        for (int i = 0; i < flags.Length; i++)
        {
            hp = flags[i] switch
            {
                "--lr" => hp with { Lr = float.Parse(flags[++i]) },
                "--weight-decay" => hp with { WeightDecay = float.Parse(flags[++i]) },
                "--beta2" => hp with { Beta2 = float.Parse(flags[++i]) },
                "--momentum" => hp with { Momentum = float.Parse(flags[++i]) },
                "--alpha" => hp with { Alpha = float.Parse(flags[++i]) },
                "--nesterov" => hp with { Nesterov = true },
                "--decay" => hp with { Decay = Enum.Parse<SignDecay>(flags[++i], true) },
                "--total-steps" => hp with { TotalSteps = int.Parse(flags[++i]) },
                _ => throw new ArgumentException(flags[i]),
            };
        }
        var refW = new ReferenceOptimizer(kind, hp, 6);
        var refB = new ReferenceOptimizer(kind, hp, 2);
        var u = SafeTensorsFile.Read(F("u.safetensors"));
        for (int t = 1; t <= steps; t++)
        {
            refW.Step(w, gw[t - 1]);
            refB.Step(b, gb[t - 1]);
            var uw = u.Get($"layer/w/{t}");
            Assert.Equal(new long[] { 2, 3 }, uw.Shape);
            for (int i = 0; i < 6; i++) Assert.Equal(w[i], uw.ToFloats()[i], 1e-5f * MathF.Max(1, MathF.Abs(w[i])));
            for (int i = 0; i < 2; i++) Assert.Equal(b[i], u.Get($"b/{t}").ToFloats()[i], 1e-5f * MathF.Max(1, MathF.Abs(b[i])));
        }
        Assert.Equal(steps, SafeTensorsFile.Read(F("s.safetensors")).Get("step").ToInt64());
    }

    [Fact]
    public void StateInContinuesWhereStateOutStopped()
    {
        WriteProblem(6);
        var full = CliRunner.Run("replay", "--optimizer", "adam", "--params", F("p.safetensors"), "--grads", F("g.safetensors"), "--out", F("full.safetensors"), "--backend", "cpu");
        Assert.Equal(0, full.Exit);
        // Split: steps 1..3 then 4..6 from the saved state and the parameters after step 3.
        var g = SafeTensorsFile.Read(F("g.safetensors"));
        SafeTensorsFile.Write(F("g1.safetensors"), g.Tensors.Where(t => int.Parse(t.Name[(t.Name.LastIndexOf('/') + 1)..]) <= 3));
        SafeTensorsFile.Write(F("g2.safetensors"), g.Tensors.Where(t => int.Parse(t.Name[(t.Name.LastIndexOf('/') + 1)..]) > 3)
            .Select(t => new SafeTensor(t.Name[..t.Name.LastIndexOf('/')] + "/" + (int.Parse(t.Name[(t.Name.LastIndexOf('/') + 1)..]) - 3), t.DType, t.Shape, t.Data)));
        Assert.Equal(0, CliRunner.Run("replay", "--optimizer", "adam", "--params", F("p.safetensors"), "--grads", F("g1.safetensors"), "--out", F("u1.safetensors"), "--state-out", F("s1.safetensors"), "--backend", "cpu").Exit);
        var u1 = SafeTensorsFile.Read(F("u1.safetensors"));
        SafeTensorsFile.Write(F("p2.safetensors"), [new SafeTensor("layer/w", SafeTensorDType.F32, [2, 3], u1.Get("layer/w/3").Data), new SafeTensor("b", SafeTensorDType.F32, [2], u1.Get("b/3").Data)]);
        Assert.Equal(0, CliRunner.Run("replay", "--optimizer", "adam", "--params", F("p2.safetensors"), "--grads", F("g2.safetensors"), "--out", F("u2.safetensors"), "--state-in", F("s1.safetensors"), "--backend", "cpu").Exit);
        var fullDoc = SafeTensorsFile.Read(F("full.safetensors"));
        var u2 = SafeTensorsFile.Read(F("u2.safetensors"));
        Assert.Equal(fullDoc.Get("layer/w/6").ToFloats(), u2.Get("layer/w/3").ToFloats());
        Assert.Equal(fullDoc.Get("b/6").ToFloats(), u2.Get("b/3").ToFloats());
    }

    [Fact]
    public void MissingGradientStepIsAOneLineError()
    {
        WriteProblem(3);
        var g = SafeTensorsFile.Read(F("g.safetensors"));
        SafeTensorsFile.Write(F("g.safetensors"), g.Tensors.Where(t => t.Name != "b/2"));
        var (exit, _, err) = CliRunner.Run("replay", "--optimizer", "adam", "--params", F("p.safetensors"), "--grads", F("g.safetensors"), "--out", F("u.safetensors"), "--backend", "cpu");
        Assert.Equal(2, exit);
        Assert.Contains("'b/2' is missing", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("--optimizer", "adamx", "Unknown optimizer 'adamx'")]
    [InlineData("--lr", "nan", "lr = NaN")]
    [InlineData("--decay", "sometimes", "--decay 'sometimes'")]
    [InlineData("--params", "/nonexistent/p.safetensors", "/nonexistent/p.safetensors")]
    public void BadInputExitsNonZeroWithAReason(string flag, string value, string expected)
    {
        WriteProblem(2);
        var args = new Dictionary<string, string>
        {
            ["--optimizer"] = "adam", ["--params"] = F("p.safetensors"), ["--grads"] = F("g.safetensors"), ["--out"] = F("u.safetensors"), ["--backend"] = "cpu",
        };
        args[flag] = value;
        var (exit, _, err) = CliRunner.Run(["replay", .. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);
        Assert.NotEqual(0, exit);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
