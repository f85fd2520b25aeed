using LearnedOpt.Data;

namespace LearnedOpt.Tasks.Batched;

/// <summary>Argument checks the CPU and CUDA ConvNet batches share.</summary>
internal static class ConvNetBatchChecks
{
    public static void Data(ConvNetShape shape, LabeledDataset data)
    {
        if (data.FeatureCount != shape.InputSize || data.ClassCount != shape.Classes)
            throw new ArgumentException($"The data ({data.FeatureCount} features, {data.ClassCount} classes) do not fit the ConvNet ({shape}).", nameof(data));
    }

    /// <summary>The labels as floats (class indices are exact in float32).</summary>
    public static float[] Labels(LabeledDataset data)
    {
        var labels = new float[data.Count];
        var source = data.Labels;
        for (int i = 0; i < labels.Length; i++) labels[i] = source[i];
        return labels;
    }

    /// <summary>1 ≤ batch, Count × batch indices, each in [0, rows).</summary>
    public static void Rows(ReadOnlySpan<int> batchRows, int batch, int count, int rows)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "Batch must be >= 1.");
        if (batchRows.Length != (long)count * batch)
            throw new ArgumentException($"'batchRows' has {batchRows.Length} indices, the batch needs {count} × {batch}.", nameof(batchRows));
        for (int i = 0; i < batchRows.Length; i++)
            if ((uint)batchRows[i] >= (uint)rows)
                throw new ArgumentOutOfRangeException(nameof(batchRows), batchRows[i], $"Row index {i} is outside [0, {rows}).");
    }
}
