using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tests.Optimizers;

/// <summary>CPU tier: every hand-designed optimizer against the independent scalar reference.</summary>
[Trait("tier", "cpu")]
public class HandDesignedOptimizerTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var config in Configurations.Keys)
            foreach (var scenario in new[] { "normal", "zero", "huge", "tiny", "mixed-scales" })
                data.Add(config, scenario);
        return data;
    }

    /// <summary>Named configurations: kind plus non-default hyperparameters (weight decay, momentum, decays).</summary>
    internal static readonly Dictionary<string, (OptimizerKind Kind, HyperParameters Hp)> Configurations = new()
    {
        ["sgd"] = (OptimizerKind.Sgd, HyperParameters.Defaults(OptimizerKind.Sgd) with { Lr = 0.01f }),
        ["sgd-wd"] = (OptimizerKind.Sgd, HyperParameters.Defaults(OptimizerKind.Sgd) with { Lr = 0.01f, WeightDecay = 0.1f }),
        ["momentum"] = (OptimizerKind.Momentum, HyperParameters.Defaults(OptimizerKind.Momentum) with { Lr = 0.01f, WeightDecay = 0.01f }),
        ["nesterov"] = (OptimizerKind.Nesterov, HyperParameters.Defaults(OptimizerKind.Nesterov) with { Lr = 0.01f, WeightDecay = 0.01f }),
        ["rmsprop"] = (OptimizerKind.RmsProp, HyperParameters.Defaults(OptimizerKind.RmsProp) with { WeightDecay = 0.01f }),
        ["rmsprop-momentum"] = (OptimizerKind.RmsProp, HyperParameters.Defaults(OptimizerKind.RmsProp) with { Momentum = 0.9f, Alpha = 0.9f }),
        ["adam"] = (OptimizerKind.Adam, HyperParameters.Defaults(OptimizerKind.Adam)),
        ["adam-wd"] = (OptimizerKind.Adam, HyperParameters.Defaults(OptimizerKind.Adam) with { WeightDecay = 0.05f, Beta1 = 0.8f, Beta2 = 0.99f }),
        ["adamw"] = (OptimizerKind.AdamW, HyperParameters.Defaults(OptimizerKind.AdamW) with { WeightDecay = 0.1f }),
        ["powersign"] = (OptimizerKind.PowerSign, HyperParameters.Defaults(OptimizerKind.PowerSign)),
        ["powersign-linear"] = (OptimizerKind.PowerSign, HyperParameters.Defaults(OptimizerKind.PowerSign) with { Decay = SignDecay.Linear, TotalSteps = 40 }),
        ["powersign-restart"] = (OptimizerKind.PowerSign, HyperParameters.Defaults(OptimizerKind.PowerSign) with { Decay = SignDecay.Restart, TotalSteps = 30, Periods = 3, WeightDecay = 0.01f }),
        ["addsign"] = (OptimizerKind.AddSign, HyperParameters.Defaults(OptimizerKind.AddSign)),
        ["addsign-cyclic"] = (OptimizerKind.AddSign, HyperParameters.Defaults(OptimizerKind.AddSign) with { Decay = SignDecay.Cyclic, TotalSteps = 50, Periods = 2 }),
        ["momentum-dampening"] = (OptimizerKind.Momentum, HyperParameters.Defaults(OptimizerKind.Momentum) with { Lr = 0.01f, Dampening = 0.4f, WeightDecay = 0.01f }),
        ["rmsprop-centered"] = (OptimizerKind.RmsProp, HyperParameters.Defaults(OptimizerKind.RmsProp) with { Centered = true, WeightDecay = 0.01f }),
        ["rmsprop-centered-momentum"] = (OptimizerKind.RmsProp, HyperParameters.Defaults(OptimizerKind.RmsProp) with { Centered = true, Momentum = 0.9f, Alpha = 0.9f }),
        ["adam-amsgrad"] = (OptimizerKind.Adam, HyperParameters.Defaults(OptimizerKind.Adam) with { Amsgrad = true, WeightDecay = 0.05f, Beta2 = 0.99f }),
        ["adamw-amsgrad"] = (OptimizerKind.AdamW, HyperParameters.Defaults(OptimizerKind.AdamW) with { Amsgrad = true, WeightDecay = 0.1f }),
        ["adagrad"] = (OptimizerKind.Adagrad, HyperParameters.Defaults(OptimizerKind.Adagrad)),
        ["adagrad-decays"] = (OptimizerKind.Adagrad, HyperParameters.Defaults(OptimizerKind.Adagrad) with { LrDecay = 0.05f, InitialAccumulator = 0.5f, WeightDecay = 0.01f }),
        ["adamax"] = (OptimizerKind.Adamax, HyperParameters.Defaults(OptimizerKind.Adamax) with { WeightDecay = 0.01f, Beta1 = 0.8f }),
        ["nadam"] = (OptimizerKind.NAdam, HyperParameters.Defaults(OptimizerKind.NAdam)),
        ["nadam-decoupled"] = (OptimizerKind.NAdam, HyperParameters.Defaults(OptimizerKind.NAdam) with { WeightDecay = 0.1f, DecoupledWeightDecay = true, MomentumDecay = 0.02f }),
        ["nadam-wd"] = (OptimizerKind.NAdam, HyperParameters.Defaults(OptimizerKind.NAdam) with { WeightDecay = 0.01f, Beta2 = 0.99f }),
        ["radam"] = (OptimizerKind.RAdam, HyperParameters.Defaults(OptimizerKind.RAdam)),
        ["radam-wd"] = (OptimizerKind.RAdam, HyperParameters.Defaults(OptimizerKind.RAdam) with { WeightDecay = 0.01f, Beta2 = 0.9f }),
        ["radam-decoupled"] = (OptimizerKind.RAdam, HyperParameters.Defaults(OptimizerKind.RAdam) with { WeightDecay = 0.1f, DecoupledWeightDecay = true }),
    };

    internal static float[] Gradient(Rng rng, int n, string scenario, int step)
    {
        var g = new float[n];
        for (int i = 0; i < n; i++)
        {
            double z = rng.NextGaussian();
            g[i] = scenario switch
            {
                "zero" => step % 3 == 1 ? 0f : (float)z,          // all-zero steps between normal ones
                "huge" => (float)(z * 1e12),
                "tiny" => (float)(z * 1e-20),
                "mixed-scales" => (float)(z * Math.Pow(10, -8 + 12 * (i % 7) / 6.0)),
                _ => (float)z,
            };
        }
        return g;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesScalarReferenceOverManySteps(string config, string scenario)
    {
        var (kind, hp) = Configurations[config];
        const int n = 1037, steps = 60;
        var rng = new Rng(42);
        var p = Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray();
        var pRef = (float[])p.Clone();

        using var backend = new CpuBackend();
        using var opt = new HandDesignedOptimizer(kind, backend, [new TensorSpec("w", n)], hp);
        var reference = new ReferenceOptimizer(kind, hp, n);
        var path = new float[n]; // Σ|Δp|: rounding differences scale with the path, not the end point
        for (int t = 1; t <= steps; t++)
        {
            var g = Gradient(rng, n, scenario, t);
            opt.Step(p, g);
            var before = (float[])pRef.Clone();
            reference.Step(pRef, g);
            for (int i = 0; i < n; i++) path[i] += MathF.Abs(pRef[i] - before[i]);
        }

        AssertClose(pRef, p, "parameters", path);
        var state = opt.ExportState().ToDictionary(s => s.Name);
        Assert.Equal(steps, state["step"].ToInt64());
        if (opt.StateSlots.Count > 0) AssertClose(reference.StateA, state[$"w/{opt.StateSlots[0]}"].ToFloats(), opt.StateSlots[0]);
        if (opt.StateSlots.Count > 1) AssertClose(reference.StateB, state[$"w/{opt.StateSlots[1]}"].ToFloats(), opt.StateSlots[1]);
        if (opt.StateSlots.Count > 2) AssertClose(reference.StateC, state[$"w/{opt.StateSlots[2]}"].ToFloats(), opt.StateSlots[2]);
    }

    // Float32 on both sides with the same operation order up to a rewrite of the lerp: a few ulps per step.
    private static void AssertClose(float[] expected, float[] actual, string what, float[]? path = null)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            float magnitude = MathF.Max(MathF.Abs(expected[i]), path?[i] ?? 0f);
            float tol = 1e-5f * MathF.Max(magnitude, 1e-3f * scale) + float.Epsilon;
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tol,
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tol:R})");
        }
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdamW)]
    public void FirstAdamStepIsLrTimesSignWhateverTheScale(OptimizerKind kind)
    {
        // Bias correction at t = 1 makes m̂/sqrt(v̂) = sign(g) exactly, up to eps.
        var hp = HyperParameters.Defaults(kind) with { WeightDecay = 0 };
        using var backend = new CpuBackend();
        using var opt = new HandDesignedOptimizer(kind, backend, [new TensorSpec("w", 4)], hp);
        var p = new float[] { 1, -2, 3, 0.5f };
        var g = new float[] { 1e-3f, -1e3f, 7f, -2.5e-2f };
        opt.Step(p, g);
        Assert.Equal(1 - 1e-3f, p[0], 1e-6f);
        Assert.Equal(-2 + 1e-3f, p[1], 1e-6f);
        Assert.Equal(3 - 1e-3f, p[2], 1e-6f);
        Assert.Equal(0.5f + 1e-3f, p[3], 1e-6f);
    }

    [Fact]
    public void FirstAdagradStepIsLrTimesSignAndLrDecayShrinksTheSecond()
    {
        // sum = g^2 after one step, so d / sqrt(sum) = sign(g); the second step's rate is lr / (1 + lr_decay).
        var hp = HyperParameters.Defaults(OptimizerKind.Adagrad) with { Lr = 0.1f, LrDecay = 1f, Eps = 0 };
        using var backend = new CpuBackend();
        using var opt = new HandDesignedOptimizer(OptimizerKind.Adagrad, backend, [new TensorSpec("w", 3)], hp);
        var p = new float[] { 1, -2, 3 };
        opt.Step(p, new float[] { 4e-3f, -5e2f, 3f });
        Assert.Equal(new[] { 0.9f, -1.9f, 2.9f }, p, (a, b) => MathF.Abs(a - b) <= 1e-6f);
        opt.Step(p, new float[] { 0, 0, 4f }); // sum 9 + 16 = 25: step 0.05 * 4 / 5 = 0.04
        Assert.Equal(2.86f, p[2], 1e-6f);
        Assert.Equal(0.9f, p[0], 1e-6f);
    }

    [Fact]
    public void RAdamIsBiasCorrectedMomentumSgdUntilRhoExceedsFive()
    {
        // beta2 = 0.999: rho_1..rho_5 <= 5, so the first steps are p -= lr * m / (1 - beta1^t); a constant g gives m_hat = g.
        var hp = HyperParameters.Defaults(OptimizerKind.RAdam) with { Lr = 0.01f };
        using var backend = new CpuBackend();
        using var opt = new HandDesignedOptimizer(OptimizerKind.RAdam, backend, [new TensorSpec("w", 1)], hp);
        var p = new float[] { 1 };
        for (int t = 1; t <= 5; t++)
        {
            opt.Step(p, new float[] { 2 });
            Assert.Equal(1 - 0.02f * t, p[0], 1e-5f);
        }
        opt.Step(p, new float[] { 2 }); // rectified from t = 6 on: a step of lr * r_6 * sign(g)
        // r_6 = 0.0258209 for beta2 = 0.999f (rho_6 = 5.99416), computed in double outside this code.
        Assert.Equal(0.9f - 0.01f * 0.0258209f, p[0], 2e-6f);
    }

    [Fact]
    public void SgdDampeningStartsTheBufferAtTheFirstGradient()
    {
        // torch.optim.SGD: buf = g at step 1 (no dampening), then buf = mu buf + (1 - dampening) g.
        var hp = HyperParameters.Defaults(OptimizerKind.Momentum) with { Lr = 1f, Momentum = 0.5f, Dampening = 0.75f };
        using var backend = new CpuBackend();
        using var opt = new HandDesignedOptimizer(OptimizerKind.Momentum, backend, [new TensorSpec("w", 1)], hp);
        var p = new float[] { 0 };
        opt.Step(p, new float[] { 1 });
        Assert.Equal(-1f, p[0]);
        opt.Step(p, new float[] { 1 }); // buf = 0.5 + 0.25 = 0.75
        Assert.Equal(-1.75f, p[0]);
    }

    [Fact]
    public void PowerSignWithLinearDecayIsPlainSgdAtTheLastStep()
    {
        // f(T-1 completed of T) = 1/T; at s >= T, f = 0 and base^0 = 1: the update is lr * g.
        var hp = HyperParameters.Defaults(OptimizerKind.PowerSign) with { Decay = SignDecay.Linear, TotalSteps = 3, Lr = 0.1f };
        using var backend = new CpuBackend();
        using var opt = new HandDesignedOptimizer(OptimizerKind.PowerSign, backend, [new TensorSpec("w", 2)], hp);
        var p = new float[] { 0, 0 };
        for (int t = 0; t < 3; t++) opt.Step(p, new float[] { 1, -1 });
        var before = (float[])p.Clone();
        opt.Step(p, new float[] { 2, -3 });
        Assert.Equal(before[0] - 0.2f, p[0], 1e-6f);
        Assert.Equal(before[1] + 0.3f, p[1], 1e-6f);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("momentum")]
    [InlineData("rmsprop-momentum")]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("powersign")]
    [InlineData("addsign")]
    [InlineData("momentum-dampening")]
    [InlineData("rmsprop-centered-momentum")]
    [InlineData("adam-amsgrad")]
    [InlineData("adagrad-decays")]
    [InlineData("adamax")]
    [InlineData("nadam-decoupled")]
    [InlineData("radam-decoupled")]
    public void NonFiniteGradientsLeaveParameterAndStateUntouchedAndAreCounted(string config)
    {
        var (kind, hp) = Configurations[config];
        using var backend = new CpuBackend();
        using var opt = new HandDesignedOptimizer(kind, backend, [new TensorSpec("w", 5)], hp);
        var p = new float[] { 1, 2, 3, 4, 5 };
        opt.Step(p, new float[] { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f });
        var before = (float[])p.Clone();
        var stateBefore = opt.ExportState().Where(s => s.Name != "step").Select(s => s.ToFloats()).ToList();

        opt.Step(p, new float[] { float.NaN, float.PositiveInfinity, 1f, float.NegativeInfinity, float.NaN });

        foreach (var i in new[] { 0, 1, 3, 4 }) Assert.Equal(before[i], p[i]);
        Assert.NotEqual(before[2], p[2]);
        var stateAfter = opt.ExportState().Where(s => s.Name != "step").Select(s => s.ToFloats()).ToList();
        for (int s = 0; s < stateAfter.Count; s++)
            foreach (var i in new[] { 0, 1, 3, 4 }) Assert.Equal(stateBefore[s][i], stateAfter[s][i]);
        Assert.All(p, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(4, opt.NonFiniteGradients);
    }

    [Theory]
    [InlineData("momentum")]
    [InlineData("rmsprop-momentum")]
    [InlineData("adam")]
    [InlineData("powersign-restart")]
    [InlineData("momentum-dampening")]
    [InlineData("rmsprop-centered-momentum")]
    [InlineData("adamw-amsgrad")]
    [InlineData("adagrad-decays")]
    [InlineData("adamax")]
    [InlineData("nadam")]
    [InlineData("radam")]
    public void StateSaveAndLoadContinuesBitIdentically(string config)
    {
        var (kind, hp) = Configurations[config];
        const int n = 64;
        var rng = new Rng(7);
        var grads = Enumerable.Range(0, 10).Select(t => Gradient(rng, n, "normal", t)).ToArray();
        var p0 = Enumerable.Range(0, n).Select(i => (float)Math.Sin(i)).ToArray();
        using var backend = new CpuBackend();

        var straight = (float[])p0.Clone();
        using (var opt = new HandDesignedOptimizer(kind, backend, [new TensorSpec("w", n)], hp))
            foreach (var g in grads) opt.Step(straight, g);

        var resumed = (float[])p0.Clone();
        var path = Path.Combine(Path.GetTempPath(), $"lopt-state-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var first = new HandDesignedOptimizer(kind, backend, [new TensorSpec("w", n)], hp))
            {
                for (int t = 0; t < 5; t++) first.Step(resumed, grads[t]);
                first.SaveState(path);
            }
            using var second = new HandDesignedOptimizer(kind, backend, [new TensorSpec("w", n)], hp);
            second.LoadState(path);
            Assert.Equal(5, second.StepCount);
            for (int t = 5; t < 10; t++) second.Step(resumed, grads[t]);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Equal(straight, resumed);
    }

    [Fact]
    public void StepsSeveralTensorsIndependently()
    {
        var hp = HyperParameters.Defaults(OptimizerKind.Adam);
        using var backend = new CpuBackend();
        using var both = new HandDesignedOptimizer(OptimizerKind.Adam, backend, [new TensorSpec("a", 3), new TensorSpec("b", [2, 2])], hp);
        using var onlyA = new HandDesignedOptimizer(OptimizerKind.Adam, backend, [new TensorSpec("a", 3)], hp);
        var a1 = new float[] { 1, 2, 3 }; var b1 = new float[] { 4, 5, 6, 7 };
        var a2 = (float[])a1.Clone();
        for (int t = 0; t < 3; t++)
        {
            both.Step([a1, b1], [new float[] { 1, -1, 0.5f }, new float[] { 9, 9, 9, 9 }]);
            onlyA.Step(a2, new float[] { 1, -1, 0.5f });
        }
        Assert.Equal(a2, a1);
    }
}
