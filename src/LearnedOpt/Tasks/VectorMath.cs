using System.Numerics;
using System.Runtime.InteropServices;

namespace LearnedOpt.Tasks;

/// <summary>The two kernels of the double-precision MLP path.</summary>
internal static class VectorMath
{
    /// <summary>y += a·x. Elementwise, so vector width never changes the result.</summary>
    public static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"Axpy lengths differ: {x.Length} vs {y.Length}.", nameof(x));
        int i = 0;
        if (Vector.IsHardwareAccelerated && y.Length >= Vector<double>.Count)
        {
            var va = new Vector<double>(a);
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            for (int k = 0; k < vy.Length; k++) vy[k] += va * vx[k];
            i = vy.Length * Vector<double>.Count;
        }
        for (; i < y.Length; i++) y[i] += a * x[i];
    }

    /// <summary>Σ x·y in index order (scalar on purpose: the sum is the same on every machine).</summary>
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"Dot lengths differ: {x.Length} vs {y.Length}.", nameof(x));
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }
}
