using LearnedOpt.Optim;

namespace LearnedOpt.Tests.Optim;

using Optimizers = LearnedOpt.Optim.Optimizers;

/// <summary>SaveState/LoadState: a loaded run continues bit for bit; damaged or foreign files are refused.</summary>
[Trait("tier", "cpu")]
public sealed class ParameterOptimizerStateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lopt-optim-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Kinds => new() { "sgd", "rmsprop", "adam", "adamw", "powersign", "addsign", "hrnn" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ALoadedStateContinuesBitForBit(string kind)
    {
        var (w, b) = Start();
        using var first = Make(kind, w, b);
        for (int t = 0; t < 4; t++) first.Step(Gradients(w, b));
        var path = Path.Combine(_dir, $"{kind}.safetensors");
        first.SaveState(path);
        var (wSaved, bSaved) = ((float[])w.Clone(), (float[])b.Clone());
        for (int t = 0; t < 5; t++) first.Step(Gradients(w, b));

        using var second = Make(kind, wSaved, bSaved);
        second.LoadState(path);
        Assert.Equal(4, second.StepCount);
        for (int t = 0; t < 5; t++) second.Step(Gradients(wSaved, bSaved));

        Assert.Equal(Bits(w), Bits(wSaved));
        Assert.Equal(Bits(b), Bits(bSaved));
        Assert.NotEqual(Bits(Start().W), Bits(w));
        Assert.Equal([$"{kind}.safetensors"], Directory.GetFiles(_dir).Select(Path.GetFileName));   // no temporary file left
    }

    [Fact]
    public void ADamagedFileIsRefusedAndTheStateIsKept()
    {
        var (w, b) = Start();
        using var adam = Make("adam", w, b);
        adam.Step(Gradients(w, b));
        var path = Path.Combine(_dir, "adam.safetensors");
        adam.SaveState(path);
        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0x40;   // a bit of the last tensor's data
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => adam.LoadState(path));
        Assert.Contains("checksum", e.Message);
        Assert.Equal(1, adam.StepCount);
    }

    [Fact]
    public void AnotherOptimizersOrShapesStateIsRefused()
    {
        var (w, b) = Start();
        using var adam = Make("adam", w, b);
        var path = Path.Combine(_dir, "adam.safetensors");
        adam.SaveState(path);
        using var sgd = Make("sgd", w, b);
        Assert.Contains("'adam'", Assert.Throws<InvalidDataException>(() => sgd.LoadState(path)).Message);
        using var other = Optimizers.Adam([new float[5], new float[2]]);
        Assert.Contains("parameters", Assert.Throws<InvalidDataException>(() => other.LoadState(path)).Message);
        Assert.Throws<FileNotFoundException>(() => adam.LoadState(Path.Combine(_dir, "missing.safetensors")));
    }

    private static ParameterOptimizer Make(string kind, float[] w, float[] b)
    {
        ParameterOptimizer opt = kind switch
        {
            "sgd" => Optimizers.Sgd([new ParameterGroup([w]), new ParameterGroup([b]) { Lr = 0.05 }], lr: 0.01, momentum: 0.9),
            "rmsprop" => Optimizers.RmsProp([w, b], lr: 1e-3, momentum: 0.5),
            "adam" => Optimizers.Adam([new ParameterGroup([w]), new ParameterGroup([b]) { Lr = 0.02, WeightDecay = 0.1 }], lr: 0.01),
            "adamw" => Optimizers.AdamW([w, b], lr: 0.01),
            "powersign" => Optimizers.PowerSign([w, b], lr: 0.01),
            "addsign" => Optimizers.AddSign([w, b], lr: 0.01),
            "hrnn" => LearnedOptimizers.Hrnn([new ParameterGroup([w]), new ParameterGroup([b]) { Lr = 0.5 }]),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        opt.Schedule = LearningRateSchedule.LinearWarmup(3, LearningRateSchedule.Cosine(20, 0.1));
        opt.MaxGradNorm = 2.0;
        return opt;
    }

    private static (float[] W, float[] B) Start()
        => (Enumerable.Range(0, 12).Select(i => MathF.Sin(i + 1)).ToArray(), [0.5f, -1.5f, 2f]);

    // The gradient of Σ (w − 0.3)² + Σ i·b_i², so every step depends on where the last one led.
    private static float[][] Gradients(float[] w, float[] b)
        => [w.Select(x => 2 * (x - 0.3f)).ToArray(), b.Select((x, i) => 2 * (i + 1) * x).ToArray()];

    private static int[] Bits(float[] a) => a.Select(BitConverter.SingleToInt32Bits).ToArray();
}
