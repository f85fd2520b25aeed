using LearnedOpt.Randomness;

namespace LearnedOpt.Optimizers.Hrnn;

/// <summary>
/// Fresh HRNN weights by the initialisation rules of docs/hrnn.md, initialisation. Each tensor draws from its own
/// stream, <c>Rng(seed).Fork(name)</c>, so a tensor's values depend only on the seed, its name and
/// its shape: the same seed gives the same file on every machine.
/// </summary>
public static class HrnnWeightInit
{
    public const int DefaultH1 = 20;
    public const int DefaultH2 = 20;

    public static HrnnWeights Create(ulong seed, int h1 = DefaultH1, int h2 = DefaultH2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(h1, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(h2, 1);
        const int h0 = HrnnWeights.ParamHidden, f = HrnnWeights.Features, s = HrnnWeights.Timescales;
        var root = new Rng(seed);
        var values = new Dictionary<string, float[]>();

        void Cell(string level, int inputs, int hidden)
        {
            double sd = 0.5 / Math.Sqrt(inputs + hidden);
            values[$"cell/{level}/w_x"] = Normal(root, $"cell/{level}/w_x", inputs * 3 * hidden, 0, sd);
            values[$"cell/{level}/w_h"] = Normal(root, $"cell/{level}/w_h", hidden * 3 * hidden, 0, sd);
            // r and u biases 2.2 (sigma ~ 0.90: cells start slow), candidate bias 0.
            values[$"cell/{level}/b"] = Enumerable.Range(0, 3 * hidden).Select(i => i < 2 * hidden ? 2.2f : 0f).ToArray();
            var rng = root.Fork($"cell/{level}/h0");
            values[$"cell/{level}/h0"] = Enumerable.Range(0, hidden).Select(_ => (float)rng.Uniform(-1, 1)).ToArray();
        }

        void Map(string name, int rows, int cols)
        {
            values[$"bias/{name}/w"] = Normal(root, $"bias/{name}/w", rows * cols, 0, 0.5 / Math.Sqrt(rows));
            values[$"bias/{name}/b"] = new float[cols];
        }

        Cell("param", f, h0);
        Cell("tensor", h0 + f, h1);
        Cell("global", h1, h2);
        Map("param_from_tensor", h1, 3 * h0);
        Map("param_from_global", h2, 3 * h0);
        Map("tensor_from_global", h2, 3 * h1);
        double readoutSd = 0.5 / Math.Sqrt(h0);
        values["readout/direction/w"] = Normal(root, "readout/direction/w", h0, 0, readoutSd);
        values["readout/shortcut/w"] = Normal(root, "readout/shortcut/w", s, 1.0 / s, 0.1 / Math.Sqrt(s));
        values["readout/lr/w"] = new float[h0];
        values["readout/lr/b"] = [0f];
        values["decay/input/w"] = Normal(root, "decay/input/w", h0, 0, readoutSd);
        values["decay/input/b"] = [2.2f];
        values["decay/scale/w"] = Normal(root, "decay/scale/w", h0, 0, readoutSd);
        values["decay/scale/b"] = [3.2f];
        values["lr/momentum_logit"] = [3.2f];
        values["lr/step_offset"] = [-1f];
        return HrnnWeights.Create(h1, h2, values);
    }

    private static float[] Normal(Rng root, string name, int count, double mean, double sd)
    {
        var rng = root.Fork(name);
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)rng.Gaussian(mean, sd);
        return v;
    }
}
