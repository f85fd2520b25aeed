using LearnedOpt.IO;

namespace LearnedOpt.Optimizers.Celo;

/// <summary>
/// The weights of the Celo learned optimizer (Moudgil et al. 2025), file format
/// <c>learnedopt-celo</c> version 1 (docs/celo.md): the per-element MLP (30 → 4 → 4 → 3) and the
/// learned LSTM scheduler (18 inputs, 64 hidden), 35,808 floats.
/// </summary>
public sealed class CeloWeights
{
    public const string Format = "learnedopt-celo";
    public const int Features = 30, Hidden = 4, Outputs = 3, SchedulerInputs = 18, SchedulerHidden = 64;

    /// <summary>Every tensor of the file, in pack order: names and shapes.</summary>
    public static readonly IReadOnlyList<(string Name, long[] Shape)> Layout =
    [
        ("mlp/w0", [Features, Hidden]), ("mlp/b0", [Hidden]), ("mlp/w1", [Hidden, Hidden]), ("mlp/b1", [Hidden]),
        ("mlp/w2", [Hidden, Outputs]), ("mlp/b2", [Outputs]),
        ("sched/mix_max/w", [SchedulerInputs, SchedulerHidden]), ("sched/mix_max/b", [SchedulerHidden]),
        ("sched/mix_in/w", [SchedulerInputs, SchedulerHidden]), ("sched/mix_in/b", [SchedulerHidden]),
        ("sched/lstm/w", [2 * SchedulerHidden, 4 * SchedulerHidden]), ("sched/lstm/b", [4 * SchedulerHidden]),
        ("sched/step/w", [SchedulerHidden]), ("sched/step/b", [1]),
        ("sched/lstm/h0", [SchedulerHidden]), ("sched/lstm/c0", [SchedulerHidden]),
    ];

    /// <summary>The MLP's tensors: the first six of <see cref="Layout"/>.</summary>
    public const int MlpTensors = 6;

    private readonly Dictionary<string, float[]> _values;

    private CeloWeights(Dictionary<string, float[]> values) => _values = values;

    public float[] Get(string name) => _values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"No Celo weight '{name}'.", nameof(name));

    /// <summary>Floats in the file: 35,808.</summary>
    public static long TotalFloats => Layout.Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b));

    public static CeloWeights Load(string path) => FromDocument(SafeTensorsFile.Read(path), path);

    /// <summary>Validates a parsed weight file: every name and shape, no extra tensor, finite values.</summary>
    public static CeloWeights FromDocument(SafeTensorsFile.Document doc, string source)
    {
        ArgumentNullException.ThrowIfNull(doc);
        if (doc.Metadata.TryGetValue("format", out var format) && format != Format)
            throw new InvalidDataException($"{source}: metadata format is '{format}', expected '{Format}'.");
        if (doc.Metadata.TryGetValue("version", out var version) && version != "1")
            throw new InvalidDataException($"{source}: metadata version is '{version}', this build reads version 1.");
        var extra = doc.Tensors.FirstOrDefault(t => Layout.All(e => e.Name != t.Name));
        if (extra != null) throw new InvalidDataException($"{source}: unexpected tensor '{extra.Name}' in a Celo weight file.");
        var values = new Dictionary<string, float[]>();
        foreach (var (name, shape) in Layout)
        {
            var t = doc.Find(name) ?? throw new InvalidDataException($"{source}: Celo weight file lacks tensor '{name}' (shape [{string.Join(", ", shape)}]).");
            if (!t.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"{source}: tensor '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", shape)}].");
            if (t.DType == SafeTensorDType.I64)
                throw new InvalidDataException($"{source}: tensor '{name}' has dtype I64; weights are F32 (or F64).");
            values[name] = Finite(name, t.ToFloats(), source);
        }
        return new CeloWeights(values);
    }

    /// <summary>Weights from named arrays (checked like a file).</summary>
    public static CeloWeights FromValues(IReadOnlyDictionary<string, float[]> values, string source = "values")
        => FromDocument(new SafeTensorsFile.Document(Layout.Select(e => SafeTensor.FromFloats(e.Name, e.Shape,
            values.TryGetValue(e.Name, out var v) ? v : throw new InvalidDataException($"{source}: lacks Celo weight '{e.Name}'."))).ToList(),
            new Dictionary<string, string>()), source);

    public IReadOnlyList<SafeTensor> ToTensors() => Layout.Select(e => SafeTensor.FromFloats(e.Name, e.Shape, _values[e.Name])).ToList();

    public static IReadOnlyDictionary<string, string> Metadata => new Dictionary<string, string>
    {
        ["format"] = Format,
        ["version"] = "1",
        ["optimizer"] = "celo",
    };

    public void Save(string path) => SafeTensorsFile.Write(path, ToTensors(), Metadata);

    /// <summary>The MLP pack of lopt_lopt_features.h: w0, b0, w1, b1, w2, b2 (159 floats).</summary>
    public float[] MlpPack() => Layout.Take(MlpTensors).SelectMany(e => _values[e.Name]).ToArray();

    /// <summary>The scheduler pack of lopt_celo.h: mix_max, mix_in, lstm w/b, step w/b, h0, c0 (35,649 floats).</summary>
    public float[] SchedulerPack() => Layout.Skip(MlpTensors).SelectMany(e => _values[e.Name]).ToArray();

    private static float[] Finite(string name, float[] v, string source)
    {
        for (int i = 0; i < v.Length; i++)
            if (!float.IsFinite(v[i])) throw new InvalidDataException($"{source}: tensor '{name}' holds {v[i]} at index {i}; weights must be finite.");
        return v;
    }
}
