using LearnedOpt.IO;
using LearnedOpt.Optimizers.Celo;
using LearnedOpt.Tests.Cli;

namespace LearnedOpt.Tests.Celo;

/// <summary>The flax msgpack reader and the Celo converter on state files the test writes itself in the released layout.</summary>
[Trait("tier", "cpu")]
[Collection(CliCollection.Name)]
public class CeloConverterTests
{
    private static readonly int[] W0Rows = [1, 1, 1, 3, 1, 3, 1, 3, 1, 3, 3, 3, 3, 3];

    /// <summary>The released leaves (original names and shapes), filled with seeded values.</summary>
    private static Dictionary<string, (long[] Shape, float[] Values)> ReleasedLeaves(int seed)
    {
        var rng = new Random(seed);
        var leaves = new Dictionary<string, (long[], float[])>();
        void Add(string name, params long[] shape) => leaves[name] = (shape, CeloRun.Random(rng, shape.Aggregate(1L, (a, b) => a * b), 1));
        foreach (var l in new[] { "linear", "linear_1", "linear_2" }) { Add($"rnn_params/{l}/w", 18, 64); Add($"rnn_params/{l}/b", 64); }
        Add("rnn_params/rnn/linear/w", 128, 256); Add("rnn_params/rnn/linear/b", 256);
        Add("rnn_params/step_size/w", 64, 1); Add("rnn_params/step_size/b", 1);
        Add("rnn_params/rnn_to_controls/w", 64, 1); Add("rnn_params/rnn_to_controls/b", 1);
        Add("lstm_init_state/hidden", 1, 64); Add("lstm_init_state/cell", 1, 64);
        for (int i = 0; i < 14; i++) Add($"ff_mod_stack/~/w0__{i}", 1, W0Rows[i], 4);
        Add("ff_mod_stack/~/b0", 1, 4); Add("ff_mod_stack/~/w1", 1, 4, 4); Add("ff_mod_stack/~/b1", 1, 4);
        Add("ff_mod_stack/~/w2", 1, 4, 3); Add("ff_mod_stack/~/b2", 1, 3);
        return leaves;
    }

    // Nests the leaves as flax does: top-level modules, then parameters ("ff_mod_stack/~" is one key);
    // lstm_init_state optionally in the older namedtuple form {name, fields, values}.
    private static byte[] Write(Dictionary<string, (long[] Shape, float[] Values)> leaves, bool oldNamedTuple = false, string dtype = "float32")
    {
        var tree = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, leaf) in leaves)
        {
            string[] parts = name.StartsWith("ff_mod_stack/~/", StringComparison.Ordinal)
                ? ["ff_mod_stack/~", name["ff_mod_stack/~/".Length..]]
                : name.Split('/');
            var node = tree;
            for (int i = 0; i < parts.Length - 1; i++)
            {
                if (!node.TryGetValue(parts[i], out var child)) node[parts[i]] = child = new SortedDictionary<string, object>(StringComparer.Ordinal);
                node = (SortedDictionary<string, object>)child;
            }
            node[parts[^1]] = leaf;
        }
        var w = new TestMsgpackWriter();
        void Emit(object value)
        {
            if (value is ValueTuple<long[], float[]> leaf) { w.Array(leaf.Item1, leaf.Item2, dtype); return; }
            var map = (SortedDictionary<string, object>)value;
            w.Map(map.Count);
            foreach (var (k, v) in map)
            {
                w.Str(k);
                if (oldNamedTuple && k == "lstm_init_state")
                {
                    var state = (SortedDictionary<string, object>)v;
                    w.Map(3);
                    w.Str("name"); w.Str("LSTMState");
                    w.Str("fields"); w.Map(2); w.Str("0"); w.Str("hidden"); w.Str("1"); w.Str("cell");
                    w.Str("values"); w.Map(2); w.Str("0"); Emit(state["hidden"]); w.Str("1"); Emit(state["cell"]);
                }
                else Emit(v);
            }
        }
        Emit(tree);
        return w.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ConvertsEveryLeafToOurNames(bool oldNamedTuple)
    {
        var leaves = ReleasedLeaves(20);
        var weights = CeloConverter.Convert(FlaxMsgpack.Read(Write(leaves, oldNamedTuple), "theta.state"), "theta.state");
        Assert.Equal(leaves["rnn_params/linear_1/w"].Values, weights.Get("sched/mix_max/w"));
        Assert.Equal(leaves["rnn_params/linear_2/b"].Values, weights.Get("sched/mix_in/b"));
        Assert.Equal(leaves["rnn_params/rnn/linear/w"].Values, weights.Get("sched/lstm/w"));
        Assert.Equal(leaves["rnn_params/step_size/w"].Values, weights.Get("sched/step/w"));
        Assert.Equal(leaves["lstm_init_state/hidden"].Values, weights.Get("sched/lstm/h0"));
        Assert.Equal(leaves["lstm_init_state/cell"].Values, weights.Get("sched/lstm/c0"));
        Assert.Equal(leaves["ff_mod_stack/~/w2"].Values, weights.Get("mlp/w2"));
        // w0: the fourteen w0__i stacked by rows in index order (w0__3 holds rows 3..5).
        var w0 = weights.Get("mlp/w0");
        Assert.Equal(120, w0.Length);
        Assert.Equal(leaves["ff_mod_stack/~/w0__3"].Values, w0[12..24]);
        Assert.Equal(leaves["ff_mod_stack/~/w0__13"].Values, w0[108..120]);
        Assert.Equal(37089, leaves.Values.Sum(l => l.Values.Length));
    }

    [Fact]
    public void RefusesAMissingLeafNamingIt()
    {
        var leaves = ReleasedLeaves(21);
        leaves.Remove("ff_mod_stack/~/w0__7");
        var e = Assert.Throws<InvalidDataException>(() => CeloConverter.Convert(FlaxMsgpack.Read(Write(leaves), "t"), "t"));
        Assert.Contains("ff_mod_stack/~/w0__7", e.Message);
    }

    [Fact]
    public void RefusesAnExtraLeafNamingIt()
    {
        var leaves = ReleasedLeaves(22);
        leaves["rnn_params/extra/w"] = ([2], [1f, 2f]);
        var e = Assert.Throws<InvalidDataException>(() => CeloConverter.Convert(FlaxMsgpack.Read(Write(leaves), "t"), "t"));
        Assert.Contains("rnn_params/extra/w", e.Message);
    }

    [Fact]
    public void RefusesAWrongShapeNamingKeyAndShapes()
    {
        var leaves = ReleasedLeaves(23);
        leaves["rnn_params/rnn/linear/w"] = ([256, 128], leaves["rnn_params/rnn/linear/w"].Values);
        var e = Assert.Throws<InvalidDataException>(() => CeloConverter.Convert(FlaxMsgpack.Read(Write(leaves), "t"), "t"));
        Assert.Contains("rnn_params/rnn/linear/w", e.Message);
        Assert.Contains("[256, 128]", e.Message);
        Assert.Contains("[128, 256]", e.Message);
    }

    [Fact]
    public void RefusesAnotherDType()
    {
        var e = Assert.Throws<InvalidDataException>(() => CeloConverter.Convert(FlaxMsgpack.Read(Write(ReleasedLeaves(24), dtype: "int32"), "t"), "t"));
        Assert.Contains("int32", e.Message);
    }

    [Fact]
    public void ReaderRefusesTruncatedData()
    {
        var bytes = Write(ReleasedLeaves(25));
        var e = Assert.Throws<InvalidDataException>(() => FlaxMsgpack.Read(bytes[..(bytes.Length / 2)], "half.state"));
        Assert.Contains("half.state", e.Message);
    }

    [Fact]
    public void CliConvertWritesAWeightFileTheOptimizerLoads()
    {
        var dir = Directory.CreateTempSubdirectory("celo-convert-");
        try
        {
            var input = Path.Combine(dir.FullName, "theta.state");
            File.WriteAllBytes(input, Write(ReleasedLeaves(26)));
            var output = Path.Combine(dir.FullName, "celo.safetensors");
            var (exit, _, err) = CliRunner.Run("convert", "celo", "--in", input, "--out", output);
            Assert.True(exit == 0, err);
            var w = CeloWeights.Load(output);
            Assert.Equal(CeloWeights.TotalFloats, CeloWeights.Layout.Sum(e => w.Get(e.Name).Length));

            var leaves = ReleasedLeaves(26);
            leaves["ff_mod_stack/~/b0"] = ([1, 5], new float[5]);
            File.WriteAllBytes(input, Write(leaves));
            var (bad, _, message) = CliRunner.Run("convert", "celo", "--in", input, "--out", output);
            Assert.Equal(2, bad);
            Assert.Contains("ff_mod_stack/~/b0", message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
