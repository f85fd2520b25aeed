using LearnedOpt.IO;

namespace LearnedOpt.Optimizers.Celo;

/// <summary>
/// Converts Celo's released flax state (<c>theta.state</c> of github.com/amoudgl/celo) into our
/// weight file (docs/celo.md): every leaf is checked by name, shape and dtype (37,089 floats, the
/// dead mix layer and controls head included) and anything else is refused with its key.
/// </summary>
public static class CeloConverter
{
    /// <summary>Total floats of the released state.</summary>
    public const long ReleasedFloats = 37089;

    private const string Mlp = "ff_mod_stack/~/";
    private static readonly int[] W0Rows = [1, 1, 1, 3, 1, 3, 1, 3, 1, 3, 3, 3, 3, 3];

    // Original leaf -> (shape in the release, our name or null for a dead leaf).
    private static readonly IReadOnlyList<(string Leaf, long[] Shape, string? Ours)> Leaves = BuildLeaves();

    private static List<(string, long[], string?)> BuildLeaves()
    {
        const int h = CeloWeights.SchedulerHidden, x = CeloWeights.SchedulerInputs;
        var list = new List<(string, long[], string?)>
        {
            ("rnn_params/linear_1/w", [x, h], "sched/mix_max/w"), ("rnn_params/linear_1/b", [h], "sched/mix_max/b"),
            ("rnn_params/linear_2/w", [x, h], "sched/mix_in/w"), ("rnn_params/linear_2/b", [h], "sched/mix_in/b"),
            ("rnn_params/rnn/linear/w", [2 * h, 4 * h], "sched/lstm/w"), ("rnn_params/rnn/linear/b", [4 * h], "sched/lstm/b"),
            ("rnn_params/step_size/w", [h, 1], "sched/step/w"), ("rnn_params/step_size/b", [1], "sched/step/b"),
            ("lstm_init_state/hidden", [1, h], "sched/lstm/h0"), ("lstm_init_state/cell", [1, h], "sched/lstm/c0"),
            ("rnn_params/linear/w", [x, h], null), ("rnn_params/linear/b", [h], null),
            ("rnn_params/rnn_to_controls/w", [h, 1], null), ("rnn_params/rnn_to_controls/b", [1], null),
            (Mlp + "b0", [1, 4], "mlp/b0"), (Mlp + "w1", [1, 4, 4], "mlp/w1"), (Mlp + "b1", [1, 4], "mlp/b1"),
            (Mlp + "w2", [1, 4, 3], "mlp/w2"), (Mlp + "b2", [1, 3], "mlp/b2"),
        };
        for (int i = 0; i < W0Rows.Length; i++) list.Add((Mlp + "w0__" + i, [1, W0Rows[i], 4], "mlp/w0"));
        return list;
    }

    public static CeloWeights ConvertFile(string path) => Convert(FlaxMsgpack.ReadFile(path), path);

    /// <summary>Checks every leaf and maps it to our names; the w0__i are stacked by rows in index order.</summary>
    public static CeloWeights Convert(IReadOnlyDictionary<string, FlaxMsgpack.Array> leaves, string source)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        var known = Leaves.ToDictionary(l => l.Leaf, StringComparer.Ordinal);
        var unknown = leaves.Keys.Order(StringComparer.Ordinal).FirstOrDefault(k => !known.ContainsKey(k));
        if (unknown != null)
            throw new InvalidDataException($"{source}: unexpected leaf '{unknown}' (shape [{string.Join(", ", leaves[unknown].Shape)}]); this is not Celo's released state.");
        long total = 0;
        var values = new Dictionary<string, float[]>();
        var w0 = new List<float>();
        foreach (var (leaf, shape, ours) in Leaves)
        {
            if (!leaves.TryGetValue(leaf, out var a))
                throw new InvalidDataException($"{source}: missing leaf '{leaf}' (shape [{string.Join(", ", shape)}]).");
            if (!a.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"{source}: leaf '{leaf}' has shape [{string.Join(", ", a.Shape)}], expected [{string.Join(", ", shape)}].");
            var v = a.ToFloats(leaf);
            total += v.Length;
            if (ours == "mlp/w0") w0.AddRange(v);
            else if (ours != null) values[ours] = v;
        }
        if (total != ReleasedFloats) throw new InvalidDataException($"{source}: {total} floats, Celo's released state has {ReleasedFloats}.");
        values["mlp/w0"] = w0.ToArray();
        return CeloWeights.FromValues(values, source);
    }
}
