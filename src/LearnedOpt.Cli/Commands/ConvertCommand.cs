using System.CommandLine;
using LearnedOpt.Optimizers.Celo;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// <c>lopt convert celo --in theta.state --out W.safetensors</c>: converts released learned-optimizer
/// weights into our weight files, checking every name and shape (docs/celo.md).
/// </summary>
public sealed class ConvertCommand : ICommandFactory
{
    public Command Create()
    {
        var input = new Option<string>("--in") { Description = "Celo's released flax state (theta.state, github.com/amoudgl/celo).", Required = true };
        var output = new Option<string>("--out") { Description = "Weight file to write (safetensors, learnedopt-celo v1).", Required = true };
        var celo = new Command("celo", "Convert Celo's released theta.state into a learnedopt-celo weight file.");
        celo.Options.Add(input);
        celo.Options.Add(output);
        celo.SetAction(parse =>
        {
            var source = parse.GetValue(input)!;
            var weights = CeloConverter.ConvertFile(source);
            var path = parse.GetValue(output)!;
            weights.Save(path);
            Console.WriteLine($"wrote {path}: Celo, {CeloWeights.TotalFloats} weights (dead leaves of {source} dropped)");
            return 0;
        });
        var convert = new Command("convert", "Convert released learned-optimizer weights into LearnedOpt weight files.");
        convert.Subcommands.Add(celo);
        return convert;
    }
}
