using LearnedOpt.Cpu;
using LearnedOpt.IO;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// Every HRNN weight tensor (docs/hrnn.md, "Weight and state files", the h0 tensors included) as float64 arrays: the weights
/// the double-precision unroll reads, and, with the same layout, their meta-gradient. Arrays are
/// row-major in file orientation (y = x·W, W shaped (in, out), 3H axes ordered [r | u | c]).
/// </summary>
public sealed class HrnnParameters
{
    public const int H0 = HrnnWeights.ParamHidden, S = HrnnWeights.Timescales, F = HrnnWeights.Features;

    private readonly Dictionary<string, double[]> _values;

    private HrnnParameters(int h1, int h2, Dictionary<string, double[]> values)
    {
        H1 = h1;
        H2 = h2;
        _values = values;
        PWx = values["cell/param/w_x"]; PWh = values["cell/param/w_h"]; PB = values["cell/param/b"]; PH0 = values["cell/param/h0"];
        TWx = values["cell/tensor/w_x"]; TWh = values["cell/tensor/w_h"]; TB = values["cell/tensor/b"]; TH0 = values["cell/tensor/h0"];
        GWx = values["cell/global/w_x"]; GWh = values["cell/global/w_h"]; GB = values["cell/global/b"]; GH0 = values["cell/global/h0"];
        PtW = values["bias/param_from_tensor/w"]; PtB = values["bias/param_from_tensor/b"];
        PgW = values["bias/param_from_global/w"]; PgB = values["bias/param_from_global/b"];
        TgW = values["bias/tensor_from_global/w"]; TgB = values["bias/tensor_from_global/b"];
        Wd = values["readout/direction/w"]; Ws = values["readout/shortcut/w"];
        Wl = values["readout/lr/w"]; Bl = values["readout/lr/b"];
        Wb = values["decay/input/w"]; Bb = values["decay/input/b"];
        We = values["decay/scale/w"]; Be = values["decay/scale/b"];
        Kappa = values["lr/momentum_logit"]; O = values["lr/step_offset"];
    }

    public int H1 { get; }
    public int H2 { get; }

    // Cells (param, tensor, global), bias maps, readouts and scalars; scalars are length-1 arrays.
    public readonly double[] PWx, PWh, PB, PH0, TWx, TWh, TB, TH0, GWx, GWh, GB, GH0;
    public readonly double[] PtW, PtB, PgW, PgB, TgW, TgB;
    public readonly double[] Wd, Ws, Wl, Bl, Wb, Bb, We, Be, Kappa, O;

    /// <summary>Tensor names and shapes in file order.</summary>
    public IReadOnlyList<(string Name, long[] Shape)> Layout => HrnnWeights.Layout(H0, H1, H2);

    /// <summary>The values of one named tensor (the live array, not a copy).</summary>
    public double[] this[string name] => _values.TryGetValue(name, out var v)
        ? v
        : throw new ArgumentException($"No HRNN weight named '{name}'.", nameof(name));

    /// <summary>All zeros, for sizes h1, h2 (a gradient accumulator).</summary>
    public static HrnnParameters Zeros(int h1, int h2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(h1, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(h2, 1);
        return new HrnnParameters(h1, h2, HrnnWeights.Layout(H0, h1, h2)
            .ToDictionary(e => e.Name, e => new double[e.Shape.Aggregate(1L, (a, b) => a * b)]));
    }

    /// <summary>The float32 weights widened to float64 (exactly).</summary>
    public static HrnnParameters FromWeights(HrnnWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return new HrnnParameters(weights.H1, weights.H2, HrnnWeights.Layout(weights.H0, weights.H1, weights.H2)
            .ToDictionary(e => e.Name, e => weights.Get(e.Name).Select(x => (double)x).ToArray()));
    }

    /// <summary>A deep copy.</summary>
    public HrnnParameters Clone() => new(H1, H2, _values.ToDictionary(p => p.Key, p => (double[])p.Value.Clone()));

    /// <summary>this += scale · other (same sizes).</summary>
    public void Add(HrnnParameters other, double scale = 1.0)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.H1 != H1 || other.H2 != H2)
            throw new ArgumentException($"Sizes differ: {H1}/{H2} here, {other.H1}/{other.H2} in '{nameof(other)}'.", nameof(other));
        foreach (var (name, v) in _values)
        {
            var o = other._values[name];
            for (int i = 0; i < v.Length; i++) v[i] += scale * o[i];
        }
    }

    // The per-coordinate weights in the order of lopt_hrnn.h (LOPT_HRNN_W_WX .. LOPT_HRNN_W_BE).
    private double[][] CoordinateParts => [PWx, PWh, PB, Wd, Ws, Wl, Wb, We, Bl, Bb, Be];

    /// <summary>The per-coordinate weights packed for the native adjoint (LOPT_HRNN_W_COUNT = 737 values).</summary>
    public double[] CoordinatePack()
    {
        var pack = new double[HrnnLayout.CoordinateWeights];
        int at = 0;
        foreach (var part in CoordinateParts)
        {
            part.CopyTo(pack, at);
            at += part.Length;
        }
        return pack;
    }

    /// <summary>Adds a gradient of the per-coordinate weights packed as <see cref="CoordinatePack"/>.</summary>
    public void AddCoordinateGradient(ReadOnlySpan<double> packed)
    {
        int at = 0;
        foreach (var part in CoordinateParts)
        {
            for (int i = 0; i < part.Length; i++) part[i] += packed[at + i];
            at += part.Length;
        }
        if (at != packed.Length) throw new ArgumentException($"Expected {at} packed values, got {packed.Length}.", nameof(packed));
    }

    /// <summary>Euclidean norm over every tensor.</summary>
    public double Norm() => Math.Sqrt(_values.Values.Sum(v => v.Sum(x => x * x)));

    /// <summary>The tensors narrowed to float32 in file order and shapes, with no filtering.</summary>
    public IReadOnlyList<SafeTensor> ToTensors()
        => Layout.Select(e => SafeTensor.FromFloats(e.Name, e.Shape, _values[e.Name].Select(x => (float)x).ToArray())).ToList();
}
