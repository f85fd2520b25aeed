using System.CommandLine;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Cli.Commands;

/// <summary><c>lopt hrnn init --seed S --out W.safetensors [--sizes 10,20,20]</c>: fresh HRNN weights (docs/hrnn.md, initialisation).</summary>
public sealed class HrnnCommand : ICommandFactory
{
    public Command Create()
    {
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initialisation (same seed, same file).", Required = true };
        var output = new Option<string>("--out") { Description = "Weight file to write (safetensors).", Required = true };
        var sizes = new Option<string>("--sizes")
        {
            Description = "Hidden sizes H0,H1,H2 of the parameter, tensor and global RNNs (H0 must be 10).",
            DefaultValueFactory = _ => $"{HrnnWeights.ParamHidden},{HrnnWeightInit.DefaultH1},{HrnnWeightInit.DefaultH2}",
        };
        var init = new Command("init", "Write freshly initialised HRNN weights.");
        init.Options.Add(seed);
        init.Options.Add(output);
        init.Options.Add(sizes);
        init.SetAction(parse =>
        {
            var (h0, h1, h2) = ParseSizes(parse.GetValue(sizes)!);
            if (h0 != HrnnWeights.ParamHidden)
                throw new CliError($"--sizes: H0 = {h0} is not supported; the parameter RNN size is fixed at {HrnnWeights.ParamHidden}.");
            var path = parse.GetValue(output)!;
            var weights = HrnnWeightInit.Create(parse.GetValue(seed), h1, h2);
            weights.Save(path);
            Console.WriteLine($"wrote {path}: HRNN {h0}/{h1}/{h2}, {weights.Count} weights, seed {parse.GetValue(seed)}");
            return 0;
        });
        var hrnn = new Command("hrnn", "The hierarchical RNN learned optimizer: weight files.");
        hrnn.Subcommands.Add(init);
        return hrnn;
    }

    private static (int, int, int) ParseSizes(string text)
    {
        var parts = text.Split(',');
        if (parts.Length != 3)
            throw new CliError($"--sizes: '{text}' must be three comma-separated sizes H0,H1,H2 (e.g. 10,20,20).");
        var v = new int[3];
        for (int i = 0; i < 3; i++)
            if (!int.TryParse(parts[i].Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out v[i]) || v[i] < 1 || v[i] > 4096)
                throw new CliError($"--sizes: '{parts[i]}' in '{text}' is not a size between 1 and 4096.");
        return (v[0], v[1], v[2]);
    }
}
