using LearnedOpt.Data;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tests.Data;

/// <summary>Small random classification data for tests that must not need Fashion-MNIST.</summary>
internal static class SyntheticData
{
    public static LabeledDataset Random(int rows, int features, int classes, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[rows * features];
        // Some exact zeros, as in image data, exercise the sparse-input path.
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextDouble() < 0.3 ? 0f : (float)rng.NextGaussian();
        var y = new byte[rows];
        for (int i = 0; i < rows; i++) y[i] = (byte)rng.NextInt(classes);
        return new LabeledDataset(x, y, features, classes);
    }

    public static ImageClassificationData Images(int trainRows, int testRows, int side, ulong seed)
    {
        var train = Random(trainRows, side * side, 10, seed);
        var test = Random(testRows, side * side, 10, seed + 1);
        return new ImageClassificationData(train, test, side, side);
    }
}
