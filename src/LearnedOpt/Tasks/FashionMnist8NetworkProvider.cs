using LearnedOpt.Data;

namespace LearnedOpt.Tasks;

/// <summary>
/// ConvNets on 8x8 Fashion-MNIST, cheap enough for meta-training: trained on the first 80% of the
/// train split, not held out and not in the held-out suite (the meta-training ensemble decides
/// whether to draw them).
/// </summary>
public sealed class FashionMnist8NetworkProvider : ITaskProvider
{
    public IEnumerable<TaskEntry> Entries =>
    [
        Conv("fashion-mnist8-conv-4-8", [4, 8]),
        Conv("fashion-mnist8-conv-8-16", [8, 16]),
    ];

    private static TaskEntry Conv(string name, int[] channels)
        => new(name, "convnet-classification", new ConvNetShape(1, 8, 8, channels, FashionMnist.ClassCount).Tensors,
            HeldOut: false, _ => FashionMnistTasks.ConvNet8(name, FashionMnist.LoadResized(8), channels));
}
