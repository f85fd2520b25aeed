namespace LearnedOpt.Data;

/// <summary>
/// Rows of float features (row-major, <see cref="FeatureCount"/> per row) with integer class
/// labels. <see cref="Slice"/> makes a split that shares the arrays instead of copying them.
/// </summary>
public sealed class LabeledDataset
{
    private readonly float[] _features;
    private readonly byte[] _labels;
    private readonly int _start;

    public LabeledDataset(float[] features, byte[] labels, int featureCount, int classCount)
        : this(features, labels, featureCount, classCount, 0, labels?.Length ?? 0)
    {
    }

    private LabeledDataset(float[] features, byte[] labels, int featureCount, int classCount, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        if ((long)labels.Length * featureCount != features.LongLength)
            throw new ArgumentException($"{features.LongLength} features are not {labels.Length} rows of {featureCount}.", nameof(features));
        if (start == 0 && count == labels.Length)
        {
            int bad = Array.FindIndex(labels, l => l >= classCount);
            if (bad >= 0) throw new ArgumentException($"Label {labels[bad]} of row {bad} is not below the class count {classCount}.", nameof(labels));
        }
        _features = features;
        _labels = labels;
        _start = start;
        FeatureCount = featureCount;
        ClassCount = classCount;
        Count = count;
    }

    public int Count { get; }
    public int FeatureCount { get; }
    public int ClassCount { get; }

    public ReadOnlySpan<float> Row(int index) => _features.AsSpan(checked((_start + CheckIndex(index)) * FeatureCount), FeatureCount);

    public int Label(int index) => _labels[_start + CheckIndex(index)];

    /// <summary>All rows' features, row-major (Count × FeatureCount), without a copy.</summary>
    public ReadOnlySpan<float> Features => _features.AsSpan(_start * FeatureCount, Count * FeatureCount);

    /// <summary>All rows' labels, without a copy.</summary>
    public ReadOnlySpan<byte> Labels => _labels.AsSpan(_start, Count);

    /// <summary>Rows [start, start + count) of this dataset, sharing its memory.</summary>
    public LabeledDataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(start), $"Rows [{start}, {start + count}) are outside a dataset of {Count} rows.");
        return new LabeledDataset(_features, _labels, FeatureCount, ClassCount, _start + start, count);
    }

    private int CheckIndex(int index) => (uint)index < (uint)Count
        ? index
        : throw new ArgumentOutOfRangeException(nameof(index), $"Row {index} is outside a dataset of {Count} rows.");
}
