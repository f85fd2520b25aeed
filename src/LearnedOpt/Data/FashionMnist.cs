using System.Collections.Concurrent;

namespace LearnedOpt.Data;

/// <summary>
/// Fashion-MNIST (60k train / 10k test, 28x28 grayscale, 10 classes), pixels in [0, 1]. Loaded
/// once per directory and size and shared by every task that uses it (the arrays are read-only).
/// </summary>
public static class FashionMnist
{
    public const int ClassCount = 10;
    public const int Side = 28;

    private static readonly ConcurrentDictionary<(string, int), Lazy<ImageClassificationData>> Cache = new();

    /// <summary>The 28x28 dataset from <paramref name="directory"/> (default: <see cref="FashionMnistLocator.Find()"/>).</summary>
    public static ImageClassificationData Load(string? directory = null) => LoadResized(Side, directory);

    /// <summary>The dataset resized to <paramref name="side"/>x<paramref name="side"/> (bilinear, as learned_optimization does it).</summary>
    public static ImageClassificationData LoadResized(int side, string? directory = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(side, 1);
        var dir = Path.GetFullPath(directory ?? FashionMnistLocator.Find());
        var lazy = Cache.GetOrAdd((dir, side), key => new Lazy<ImageClassificationData>(() => Build(key.Item1, key.Item2)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Cache.TryRemove(new KeyValuePair<(string, int), Lazy<ImageClassificationData>>((dir, side), lazy));
            throw;
        }
    }

    private static ImageClassificationData Build(string dir, int side)
    {
        if (side != Side)
        {
            var full = LoadResized(Side, dir);
            return new ImageClassificationData(Resize(full.Train, side), Resize(full.Test, side), side, side);
        }
        var train = LoadSplit(dir, "train");
        var test = LoadSplit(dir, "t10k");
        return new ImageClassificationData(train, test, Side, Side);
    }

    private static LabeledDataset LoadSplit(string dir, string prefix)
    {
        string Path(string kind) => FashionMnistLocator.FilePath(dir, $"{prefix}-{kind}")
            ?? throw new FileNotFoundException($"Fashion-MNIST file {prefix}-{kind}.gz is missing from {dir}: {FashionMnistLocator.InstallHint}.");
        var data = LabeledImageLoader.Load(Path("images-idx3-ubyte"), Path("labels-idx1-ubyte"), ClassCount, out int h, out int w);
        if (h != Side || w != Side)
            throw new InvalidDataException($"{dir}: {prefix} images are {h}x{w}, Fashion-MNIST images are {Side}x{Side}.");
        return data;
    }

    private static LabeledDataset Resize(LabeledDataset source, int side)
    {
        var features = new float[source.Count * side * side];
        var labels = new byte[source.Count];
        for (int i = 0; i < source.Count; i++)
        {
            ImageResize.Bilinear(source.Row(i), Side, Side, features.AsSpan(i * side * side, side * side), side, side);
            labels[i] = (byte)source.Label(i);
        }
        return new LabeledDataset(features, labels, side * side, source.ClassCount);
    }
}
