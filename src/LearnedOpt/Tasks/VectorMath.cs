using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LearnedOpt.Tasks;

/// <summary>The kernels of the double-precision MLP and ConvNet paths.</summary>
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

    /// <summary>
    /// Σ x·y in four interleaved partial sums (lane i % 4), added as (s0 + s1) + (s2 + s3): a fixed
    /// order, so Vector256 and the scalar fallback give the same bits on every machine.
    /// </summary>
    public static double DotFourLanes(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"Dot lengths differ: {x.Length} vs {y.Length}.", nameof(x));
        int n4 = x.Length & ~3;
        double s0, s1, s2, s3;
        if (Vector256.IsHardwareAccelerated && n4 > 0)
        {
            var acc = Vector256<double>.Zero;
            ref double px = ref MemoryMarshal.GetReference(x);
            ref double py = ref MemoryMarshal.GetReference(y);
            for (int i = 0; i < n4; i += 4)
                acc += Vector256.LoadUnsafe(ref px, (nuint)i) * Vector256.LoadUnsafe(ref py, (nuint)i);
            (s0, s1, s2, s3) = (acc[0], acc[1], acc[2], acc[3]);
        }
        else
        {
            s0 = s1 = s2 = s3 = 0;
            for (int i = 0; i < n4; i += 4)
            {
                s0 += x[i] * y[i];
                s1 += x[i + 1] * y[i + 1];
                s2 += x[i + 2] * y[i + 2];
                s3 += x[i + 3] * y[i + 3];
            }
        }
        double s = (s0 + s1) + (s2 + s3);
        for (int i = n4; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }
}
