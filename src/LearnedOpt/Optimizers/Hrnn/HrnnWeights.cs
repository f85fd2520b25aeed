using LearnedOpt.IO;

namespace LearnedOpt.Optimizers.Hrnn;

/// <summary>
/// The HRNN's weights in the weight-file contract (docs/hrnn.md, "Weight and state files"): named float32 tensors, shapes
/// (in, out) with 3H-wide axes ordered [r | u | c]. Sizes come from the file; H0 must be 10 and
/// S must be 4 (compiled into the kernels), H1 and H2 may be any size >= 1.
/// </summary>
public sealed class HrnnWeights
{
    public const int ParamHidden = 10;
    public const int Timescales = 4;
    public const int Features = 3 * Timescales;

    public static readonly IReadOnlyDictionary<string, string> FileMetadata = new Dictionary<string, string>
    {
        ["format"] = "learnedopt-hrnn",
        ["version"] = "1",
    };

    private readonly Dictionary<string, float[]> _values;

    private HrnnWeights(int h0, int h1, int h2, Dictionary<string, float[]> values)
    {
        H0 = h0;
        H1 = h1;
        H2 = h2;
        _values = values;
    }

    public int H0 { get; }
    public int H1 { get; }
    public int H2 { get; }

    /// <summary>Total number of weights (8349 at 10/20/20).</summary>
    public long Count => _values.Values.Sum(v => (long)v.Length);

    /// <summary>The values of one named tensor (a copy).</summary>
    public float[] Get(string name) => _values.TryGetValue(name, out var v)
        ? (float[])v.Clone()
        : throw new ArgumentException($"No HRNN weight named '{name}'.", nameof(name));

    /// <summary>A copy with one tensor replaced (same shape), e.g. to switch a path off in an experiment.</summary>
    public HrnnWeights With(string name, ReadOnlySpan<float> values)
    {
        if (!_values.TryGetValue(name, out var old)) throw new ArgumentException($"No HRNN weight named '{name}'.", nameof(name));
        if (values.Length != old.Length) throw new ArgumentException($"Weight '{name}' has {old.Length} values, got {values.Length}.", nameof(values));
        var copy = _values.ToDictionary(p => p.Key, p => p.Value);
        copy[name] = values.ToArray();
        return new HrnnWeights(H0, H1, H2, copy);
    }

    /// <summary>Every tensor of the contract with its shape, in file order, for sizes h0/h1/h2.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> Layout(int h0, int h1, int h2)
    {
        int f = Features, s = Timescales;
        return
        [
            ("cell/param/w_x", [f, 3 * h0]), ("cell/param/w_h", [h0, 3 * h0]), ("cell/param/b", [3 * h0]), ("cell/param/h0", [h0]),
            ("cell/tensor/w_x", [h0 + f, 3 * h1]), ("cell/tensor/w_h", [h1, 3 * h1]), ("cell/tensor/b", [3 * h1]), ("cell/tensor/h0", [h1]),
            ("cell/global/w_x", [h1, 3 * h2]), ("cell/global/w_h", [h2, 3 * h2]), ("cell/global/b", [3 * h2]), ("cell/global/h0", [h2]),
            ("bias/param_from_tensor/w", [h1, 3 * h0]), ("bias/param_from_tensor/b", [3 * h0]),
            ("bias/param_from_global/w", [h2, 3 * h0]), ("bias/param_from_global/b", [3 * h0]),
            ("bias/tensor_from_global/w", [h2, 3 * h1]), ("bias/tensor_from_global/b", [3 * h1]),
            ("readout/direction/w", [h0]), ("readout/shortcut/w", [s]),
            ("readout/lr/w", [h0]), ("readout/lr/b", [1]),
            ("decay/input/w", [h0]), ("decay/input/b", [1]),
            ("decay/scale/w", [h0]), ("decay/scale/b", [1]),
            ("lr/momentum_logit", [1]), ("lr/step_offset", [1]),
        ];
    }

    /// <summary>Builds weights from values by name; every tensor of the layout must be present with its size.</summary>
    public static HrnnWeights Create(int h1, int h2, IReadOnlyDictionary<string, float[]> values)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(h1, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(h2, 1);
        var dict = new Dictionary<string, float[]>();
        foreach (var (name, shape) in Layout(ParamHidden, h1, h2))
        {
            if (!values.TryGetValue(name, out var v)) throw new ArgumentException($"weights: tensor '{name}' is missing.", nameof(values));
            long expected = shape.Aggregate(1L, (a, b) => a * b);
            if (v.Length != expected) throw new ArgumentException($"weights: tensor '{name}' has {v.Length} values, expected {expected} (shape [{string.Join(", ", shape)}]).", nameof(values));
            int bad = Array.FindIndex(v, x => !float.IsFinite(x));
            if (bad >= 0) throw new ArgumentException($"weights: tensor '{name}' holds a non-finite value at index {bad}.", nameof(values));
            dict[name] = (float[])v.Clone();
        }
        var extra = values.Keys.FirstOrDefault(k => !dict.ContainsKey(k));
        if (extra != null) throw new ArgumentException($"weights: unexpected tensor '{extra}'.", nameof(values));
        return new HrnnWeights(ParamHidden, h1, h2, dict);
    }

    /// <summary>Reads and validates a weight file (safetensors).</summary>
    public static HrnnWeights Load(string path) => FromDocument(SafeTensorsFile.Read(path), path);

    /// <summary>Reads and validates weights from a stream holding a weight file; <paramref name="source"/> names it in errors.</summary>
    public static HrnnWeights Load(Stream stream, string source = "weights stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return FromDocument(SafeTensorsFile.Parse(buffer.ToArray(), source), source);
    }

    /// <summary>Validates a parsed weight file: sizes, every name and shape, no extra tensor, finite values.</summary>
    public static HrnnWeights FromDocument(SafeTensorsFile.Document doc, string source)
    {
        if (doc.Metadata.TryGetValue("format", out var format) && format != "learnedopt-hrnn")
            throw new InvalidDataException($"{source}: metadata format is '{format}', expected 'learnedopt-hrnn'.");
        if (doc.Metadata.TryGetValue("version", out var version) && version != "1")
            throw new InvalidDataException($"{source}: metadata version is '{version}', this build reads version 1.");
        int h0 = VectorLength(doc, "readout/direction/w", source);
        int h1 = VectorLength(doc, "cell/tensor/h0", source);
        int h2 = VectorLength(doc, "cell/global/h0", source);
        int s = VectorLength(doc, "readout/shortcut/w", source);
        if (s != Timescales)
            throw new InvalidDataException($"{source}: tensor 'readout/shortcut/w' has {s} timescales; the HRNN uses exactly {Timescales}.");
        if (h0 != ParamHidden)
            throw new InvalidDataException($"{source}: tensor 'readout/direction/w' gives parameter-RNN size H0 = {h0}; this build supports only H0 = {ParamHidden}.");
        CheckSizes(h0, h1, h2, source);

        var values = new Dictionary<string, float[]>();
        var layout = Layout(h0, h1, h2);
        foreach (var (name, shape) in layout)
        {
            var t = doc.Get(name, source);
            if (!t.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"{source}: tensor '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", shape)}].");
            if (t.DType == SafeTensorDType.I64)
                throw new InvalidDataException($"{source}: tensor '{name}' has dtype I64; weights are F32 (or F64).");
            var v = t.ToFloats();
            CheckFinite(name, v, source);
            values[name] = v;
        }
        var extra = doc.Tensors.FirstOrDefault(t => !values.ContainsKey(t.Name));
        if (extra != null) throw new InvalidDataException($"{source}: unexpected tensor '{extra.Name}' in an HRNN weight file.");
        return new HrnnWeights(h0, h1, h2, values);
    }

    public IReadOnlyList<SafeTensor> ToTensors()
        => Layout(H0, H1, H2).Select(e => SafeTensor.FromFloats(e.Name, e.Shape, _values[e.Name])).ToList();

    public void Save(string path) => SafeTensorsFile.Write(path, ToTensors(), FileMetadata);

    /// <summary>
    /// The weights in the native pack order (lopt_hrnn_make_layout in lopt_hrnn.h): the
    /// per-coordinate block (param cell, readouts, scalars with lambda = sigma(kappa)), then the
    /// tensor cell, global cell and the three bias maps.
    /// </summary>
    public float[] Pack()
    {
        var pack = new List<float>();
        foreach (var name in new[] { "cell/param/w_x", "cell/param/w_h", "cell/param/b", "readout/direction/w", "readout/shortcut/w",
                                     "readout/lr/w", "decay/input/w", "decay/scale/w", "readout/lr/b", "decay/input/b", "decay/scale/b" })
            pack.AddRange(_values[name]);
        pack.Add((float)(1.0 / (1.0 + Math.Exp(-(double)_values["lr/momentum_logit"][0]))));
        pack.Add(_values["lr/step_offset"][0]);
        foreach (var name in new[] { "cell/tensor/w_x", "cell/tensor/w_h", "cell/tensor/b", "cell/global/w_x", "cell/global/w_h", "cell/global/b",
                                     "bias/param_from_tensor/w", "bias/param_from_tensor/b", "bias/param_from_global/w", "bias/param_from_global/b",
                                     "bias/tensor_from_global/w", "bias/tensor_from_global/b" })
            pack.AddRange(_values[name]);
        return pack.ToArray();
    }

    private static void CheckSizes(int h0, int h1, int h2, string source)
    {
        if (h0 != ParamHidden) throw new InvalidDataException($"{source}: parameter-RNN size H0 = {h0}; this build supports only H0 = {ParamHidden}.");
        if (h1 < 1) throw new InvalidDataException($"{source}: tensor-RNN size H1 = {h1}, must be >= 1.");
        if (h2 < 1) throw new InvalidDataException($"{source}: global-RNN size H2 = {h2}, must be >= 1.");
    }

    private static int VectorLength(SafeTensorsFile.Document doc, string name, string source)
    {
        var t = doc.Get(name, source);
        if (t.Shape.Length != 1 || t.Shape[0] < 1 || t.Shape[0] > 100_000)
            throw new InvalidDataException($"{source}: tensor '{name}' has shape {t.ShapeText}, expected a non-empty vector.");
        return (int)t.Shape[0];
    }

    private static void CheckFinite(string name, float[] v, string source)
    {
        int i = Array.FindIndex(v, x => !float.IsFinite(x));
        if (i >= 0) throw new InvalidDataException($"{source}: tensor '{name}' holds a non-finite value ({v[i]}) at index {i}.");
    }
}
