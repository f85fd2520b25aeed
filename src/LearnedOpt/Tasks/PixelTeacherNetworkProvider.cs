using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks;

/// <summary>
/// ReLU MLPs on synthetic 28×28 image-like data (<see cref="PixelTeacherData"/>): wide first layers on
/// non-negative, correlated inputs with an always-zero border, as on real images, for the validation
/// of learned optimizers. Not held out; the instance seed draws the data.
/// </summary>
public sealed class PixelTeacherNetworkProvider : ITaskProvider
{
    public const int Side = 28, Rows = 4096, Classes = 10, BatchSize = 64;

    public IEnumerable<TaskEntry> Entries =>
    [
        Mlp([64, 32]),
        Mlp([128]),
    ];

    public static TaskEntry Mlp(int[] hidden)
    {
        string name = $"pixel-teacher-mlp-{string.Join("-", hidden)}";
        return new(name, "pixel-teacher-mlp", ReluClassifierTask.Specs(Side * Side, hidden, Classes), HeldOut: false,
            seed => new ReluClassifierTask(name, "pixel-teacher-mlp", PixelTeacherData.Generate(Rows, Side, Classes, seed), hidden, BatchSize));
    }
}
