namespace LearnedOpt.Optimizers.Hrnn;

/// <summary>
/// How the tensors of a (grouped) HRNN step split into independent optimizer instances: group q
/// owns tensors [First[q], First[q + 1]) of <see cref="Lengths"/>. A plain optimizer is one group.
/// </summary>
internal sealed class HrnnGroups
{
    public HrnnGroups(IReadOnlyList<long[]> groupLengths)
    {
        ArgumentNullException.ThrowIfNull(groupLengths);
        if (groupLengths.Count == 0) throw new ArgumentException("A grouped HRNN step needs at least one group.", nameof(groupLengths));
        First = new int[groupLengths.Count + 1];
        var lengths = new List<long>();
        for (int q = 0; q < groupLengths.Count; q++)
        {
            var g = groupLengths[q] ?? throw new ArgumentException($"Group {q} is null.", nameof(groupLengths));
            if (g.Length == 0) throw new ArgumentException($"Group {q} has no tensors; every group needs at least one.", nameof(groupLengths));
            foreach (var n in g)
                if (n < 0) throw new ArgumentException($"Group {q} has a tensor of negative length {n}.", nameof(groupLengths));
            lengths.AddRange(g);
            First[q + 1] = lengths.Count;
        }
        Lengths = lengths.ToArray();
    }

    /// <summary>One group of these tensor lengths.</summary>
    public static HrnnGroups Single(long[] lengths) => new([lengths]);

    public long[] Lengths { get; }
    public int[] First { get; }
    public int Count => First.Length - 1;
    public int TensorCount => Lengths.Length;

    /// <summary>The group of each tensor.</summary>
    public int[] GroupOfTensor()
    {
        var r = new int[TensorCount];
        for (int q = 0; q < Count; q++)
            for (int k = First[q]; k < First[q + 1]; k++) r[k] = q;
        return r;
    }
}
