using LearnedOpt.Data;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Labelled synthetic images shaped like 28×28 greyscale photographs without being any: each image is
/// the sum of a few random Gaussian blobs centred in the middle of the frame, clipped to [0, 1], with
/// values under 0.02 set to zero. So, as in real images, inputs are non-negative and strongly
/// correlated, and most border pixels are zero. Labels are the argmax of a random
/// one-hidden-layer tanh teacher on the centred image. A wide first layer on such inputs is where a
/// sign-like learned step needs a smaller learning rate than on zero-mean inputs (its coherent steps
/// add up over the fan-in), which validation problems on Gaussian inputs cannot show.
/// </summary>
public static class PixelTeacherData
{
    public const int TeacherHidden = 32;
    public const int MinBlobs = 2, MaxBlobs = 5;
    public const double ZeroBelow = 0.02;

    public static LabeledDataset Generate(int rows, int side, int classes, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(side, 4);
        if (classes < 2 || classes > 256) throw new ArgumentOutOfRangeException(nameof(classes), classes, "must be in [2, 256].");
        int d = side * side, h = TeacherHidden;
        var images = new Rng(seed).Fork("pixel-images");
        var features = new float[rows * d];
        for (int r = 0; r < rows; r++)
        {
            var img = features.AsSpan(r * d, d);
            int blobs = MinBlobs + images.NextInt(MaxBlobs - MinBlobs + 1);
            for (int b = 0; b < blobs; b++)
            {
                double cy = images.Uniform(0.3, 0.7) * (side - 1), cx = images.Uniform(0.3, 0.7) * (side - 1);
                double width = images.Uniform(0.06, 0.18) * side, height = images.Uniform(0.4, 1.0);
                for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                {
                    double dy = y - cy, dx = x - cx;
                    img[y * side + x] += (float)(height * Math.Exp(-(dx * dx + dy * dy) / (2 * width * width)));
                }
            }
            for (int i = 0; i < d; i++) img[i] = img[i] < ZeroBelow ? 0f : Math.Min(img[i], 1f);
        }

        var mean = new double[d];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < d; i++) mean[i] += features[r * d + i] / (double)rows;
        var teacher = new Rng(seed).Fork("pixel-teacher");
        var w1 = new double[d * h];
        var b1 = new double[h];
        var w2 = new double[h * classes];
        for (int i = 0; i < w1.Length; i++) w1[i] = teacher.NextGaussian() * 4 / Math.Sqrt(d);
        for (int i = 0; i < h; i++) b1[i] = 0.1 * teacher.NextGaussian();
        for (int i = 0; i < w2.Length; i++) w2[i] = teacher.NextGaussian() / Math.Sqrt(h);
        var labels = new byte[rows];
        var hidden = new double[h];
        var centred = new double[d];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < d; i++) centred[i] = features[r * d + i] - mean[i];
            labels[r] = TanhTeacher.Label(centred, w1, b1, w2, classes, hidden);
        }
        return new LabeledDataset(features, labels, d, classes);
    }
}
