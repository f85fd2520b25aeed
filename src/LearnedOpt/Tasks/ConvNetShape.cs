using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks;

/// <summary>
/// The architecture of a small ConvNet classifier: input images of <see cref="InputChannels"/> ×
/// <see cref="Height"/> × <see cref="Width"/>, then one block per entry of
/// <c>convChannels</c> (3×3 convolution, padding 1, stride 1; ReLU; 2×2 max-pool, stride 2,
/// an odd last row or column dropped), then a linear head to <see cref="Classes"/> logits over the
/// flattened (channel, row, column) features. Tensors, in order: <c>conv{i}/w</c> [c_out, c_in, 3, 3]
/// and <c>conv{i}/b</c> [c_out] for i = 1 … blocks, then <c>head/w</c> [classes, features] and
/// <c>head/b</c> [classes] (PyTorch's layouts).
/// </summary>
public sealed class ConvNetShape
{
    public const int Kernel = 3;

    public ConvNetShape(int inputChannels, int height, int width, IReadOnlyList<int> convChannels, int classes)
    {
        ArgumentNullException.ThrowIfNull(convChannels);
        if (inputChannels < 1) throw new ArgumentOutOfRangeException(nameof(inputChannels), inputChannels, "A ConvNet needs at least one input channel.");
        if (convChannels.Count < 1) throw new ArgumentException("A ConvNet needs at least one convolution block.", nameof(convChannels));
        foreach (var c in convChannels)
            if (c < 1) throw new ArgumentException($"Channel count {c} in [{string.Join(", ", convChannels)}] must be >= 1.", nameof(convChannels));
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classifier needs >= 2 classes.");
        int blocks = convChannels.Count;
        // Every pooling halves (rounding down), so each block needs a side of at least 2.
        if (height >> (blocks - 1) < 2) throw new ArgumentOutOfRangeException(nameof(height), height, $"{blocks} pooling blocks need a height of at least {1 << blocks}.");
        if (width >> (blocks - 1) < 2) throw new ArgumentOutOfRangeException(nameof(width), width, $"{blocks} pooling blocks need a width of at least {1 << blocks}.");

        InputChannels = inputChannels;
        Height = height;
        Width = width;
        Classes = classes;
        Channels = [inputChannels, .. convChannels];
        Heights = new int[blocks + 1];
        Widths = new int[blocks + 1];
        Heights[0] = height;
        Widths[0] = width;
        for (int l = 0; l < blocks; l++)
        {
            Heights[l + 1] = Heights[l] / 2;
            Widths[l + 1] = Widths[l] / 2;
        }
        Features = Channels[blocks] * Heights[blocks] * Widths[blocks];

        var tensors = new List<TensorSpec>();
        for (int l = 0; l < blocks; l++)
        {
            tensors.Add(new TensorSpec($"conv{l + 1}/w", [Channels[l + 1], Channels[l], Kernel, Kernel]));
            tensors.Add(new TensorSpec($"conv{l + 1}/b", [Channels[l + 1]]));
        }
        tensors.Add(new TensorSpec("head/w", [classes, Features]));
        tensors.Add(new TensorSpec("head/b", [classes]));
        Tensors = tensors;
    }

    public int InputChannels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Classes { get; }
    public int Blocks => Channels.Length - 1;

    /// <summary>Channels entering block l (index l) and leaving the last block (index Blocks).</summary>
    public int[] Channels { get; }

    /// <summary>Feature-map height entering block l; index Blocks is the head's input.</summary>
    public int[] Heights { get; }

    public int[] Widths { get; }

    /// <summary>Inputs of the linear head.</summary>
    public int Features { get; }

    public int InputSize => InputChannels * Height * Width;

    public IReadOnlyList<TensorSpec> Tensors { get; }

    public long ParameterCount => Tensors.Sum(t => t.Length);

    /// <summary>Fan-in of tensor <paramref name="index"/>'s layer: c_in·9 for a convolution, the features for the head.</summary>
    public int FanIn(int index) => index / 2 < Blocks ? Channels[index / 2] * Kernel * Kernel : Features;

    public override string ToString()
        => $"{InputChannels}x{Height}x{Width} -> conv [{string.Join(", ", Channels.Skip(1))}] -> {Features} -> {Classes}";
}
