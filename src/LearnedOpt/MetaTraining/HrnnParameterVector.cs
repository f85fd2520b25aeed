using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.MetaTraining;

/// <summary>
/// φ as one flat float vector: the HRNN weight tensors concatenated in the weight-file layout order
/// (docs/hrnn.md, "Weight and state files"), for sizes 10/H1/H2. Every weight, the initial hidden states included, is meta-trained.
/// </summary>
public sealed class HrnnParameterVector
{
    private readonly (string Name, int Offset, int Length)[] _parts;

    public HrnnParameterVector(int h1, int h2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(h1, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(h2, 1);
        H1 = h1;
        H2 = h2;
        int offset = 0;
        var parts = new List<(string, int, int)>();
        foreach (var (name, shape) in HrnnWeights.Layout(HrnnWeights.ParamHidden, h1, h2))
        {
            int n = checked((int)shape.Aggregate(1L, (a, b) => a * b));
            parts.Add((name, offset, n));
            offset += n;
        }
        _parts = parts.ToArray();
        Length = offset;
    }

    public int H1 { get; }
    public int H2 { get; }
    public int Length { get; }

    public float[] Flatten(HrnnWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.H1 != H1 || weights.H2 != H2)
            throw new ArgumentException($"Weights have sizes 10/{weights.H1}/{weights.H2}, this vector is 10/{H1}/{H2}.", nameof(weights));
        var phi = new float[Length];
        foreach (var (name, offset, _) in _parts) weights.Get(name).CopyTo(phi, offset);
        return phi;
    }

    /// <summary>The weights of <paramref name="phi"/> (which must be finite; HrnnWeights validates).</summary>
    public HrnnWeights ToWeights(ReadOnlySpan<float> phi)
    {
        if (phi.Length != Length) throw new ArgumentException($"phi has {phi.Length} values, expected {Length}.", nameof(phi));
        var values = new Dictionary<string, float[]>(_parts.Length);
        foreach (var (name, offset, n) in _parts) values[name] = phi.Slice(offset, n).ToArray();
        return HrnnWeights.Create(H1, H2, values);
    }
}
