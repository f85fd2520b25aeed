using LearnedOpt.Data;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Labelled Gaussian inputs for teacher–student classification: x ~ N(0, I_d), labels = argmax of a
/// random one-hidden-layer tanh teacher, z = tanh(x·W₁ + b₁)·W₂ with W₁ ~ N(0, 1/d), b₁ ~ N(0, 0.1²),
/// W₂ ~ N(0, 1/h). With <c>sparse</c>, a random 15 % of the inputs are always zero and another 15 %
/// are non-zero in only 5 % of the rows (as the border pixels of 28×28 images): the weights on them
/// get no or intermittent gradient, which a learned optimizer must not move at full step size.
/// </summary>
public static class TeacherStudentData
{
    public const int TeacherHidden = 32;
    public const double AlwaysZeroFraction = 0.15, RareFraction = 0.15, RareProbability = 0.05;

    /// <summary>Which inputs are always zero and which rarely non-zero (by seed), for inspection and tests.</summary>
    public static (bool[] AlwaysZero, bool[] Rare) SparsePattern(int d, ulong seed)
    {
        var rng = new Rng(seed).Fork("teacher-sparsity");
        var order = Enumerable.Range(0, d).ToArray();
        rng.Shuffle(order.AsSpan());
        int zero = (int)Math.Round(AlwaysZeroFraction * d), rare = (int)Math.Round(RareFraction * d);
        var z = new bool[d];
        var r = new bool[d];
        for (int k = 0; k < zero; k++) z[order[k]] = true;
        for (int k = zero; k < zero + rare; k++) r[order[k]] = true;
        return (z, r);
    }

    public static LabeledDataset Generate(int rows, int d, int classes, bool sparse, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        if (classes < 2 || classes > 256) throw new ArgumentOutOfRangeException(nameof(classes), classes, "must be in [2, 256].");
        var teacher = new Rng(seed).Fork("teacher");
        int h = TeacherHidden;
        var w1 = new double[d * h];
        var b1 = new double[h];
        var w2 = new double[h * classes];
        for (int i = 0; i < w1.Length; i++) w1[i] = teacher.NextGaussian() / Math.Sqrt(d);
        for (int i = 0; i < h; i++) b1[i] = 0.1 * teacher.NextGaussian();
        for (int i = 0; i < w2.Length; i++) w2[i] = teacher.NextGaussian() / Math.Sqrt(h);
        var (alwaysZero, rare) = sparse ? SparsePattern(d, seed) : (new bool[d], new bool[d]);

        var inputs = new Rng(seed).Fork("inputs");
        var features = new float[rows * d];
        var labels = new byte[rows];
        var x = new double[d];
        var hidden = new double[h];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < d; i++)
            {
                double v = inputs.NextGaussian();
                double keep = inputs.NextDouble();
                if (alwaysZero[i] || (rare[i] && keep >= RareProbability)) v = 0;
                // The float32 value is the data; the teacher labels exactly what the student sees.
                features[r * d + i] = (float)v;
                x[i] = features[r * d + i];
            }
            labels[r] = TanhTeacher.Label(x, w1, b1, w2, classes, hidden);
        }
        return new LabeledDataset(features, labels, d, classes);
    }
}
