namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// A managed re-implementation of native/include/lopt/lopt_random.h (Philox4x32-10, the float
/// conversions, the polar Gaussian with the polynomial of lopt_log (lopt_fast_math)), written from the spec so the
/// native draws can be checked bit for bit. .NET keeps float arithmetic in single precision and
/// never fuses a*b+c, like both native compilers here.
/// </summary>
internal static class BatchedWrapperRandomReference
{
    public static uint[] Philox(uint[] ctr, uint[] key)
    {
        uint c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = 0xD2511F53UL * c0, p1 = 0xCD9E8D57UL * c2;
            (c0, c1, c2, c3) = ((uint)(p1 >> 32) ^ c1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c3 ^ k1, (uint)p0);
            k0 += 0x9E3779B9;
            k1 += 0xBB67AE85;
        }
        return [c0, c1, c2, c3];
    }

    private static uint[] Block(ulong seed, long step, uint stream, uint attempt, uint index)
        => Philox([index, (stream << 8) | (attempt & 0xFF), (uint)step, (uint)((ulong)step >> 32)], [(uint)seed, (uint)(seed >> 32)]);

    public static float Uniform(ulong seed, long step, uint stream, uint index)
        => (Block(seed, step, stream, 0, index)[0] >> 8) * 5.9604644775390625e-8f;

    public static float Gaussian(ulong seed, long step, uint stream, uint index)
    {
        for (uint attempt = 0; attempt < 16; attempt++)
        {
            var w = Block(seed, step, stream, attempt, index);
            if (Polar(w[0], w[1], out float z) || Polar(w[2], w[3], out z)) return z;
        }
        return 0;
    }

    private static bool Polar(uint a, uint b, out float z)
    {
        float u = Symmetric(a), v = Symmetric(b);
        float s = u * u + v * v;
        z = 0;
        if (!(s < 1f)) return false;
        z = u * MathF.Sqrt(-2f * Log(s) / s);
        return true;
    }

    private static float Symmetric(uint w) => (2 * (int)(w >> 8) + 1 - 16777216) * 5.9604644775390625e-8f;

    /// <summary>lopt_log (lopt_fast_math): ln x for a positive normal x, the same operations in the same order.</summary>
    public static float Log(float x)
    {
        int b = BitConverter.SingleToInt32Bits(x);
        float e = ((b >> 23) & 0xff) - 126;
        float m = BitConverter.Int32BitsToSingle((b & 0x007fffff) | 0x3f000000);
        bool low = m < 0.707106781186547524f;
        float em1 = e - 1f, fLow = m + m - 1f, fHigh = m - 1f;
        e = low ? em1 : e;
        float f = low ? fLow : fHigh;
        float z = f * f;
        float p = 7.0376836292e-2f;
        p = p * f - 1.1514610310e-1f;
        p = p * f + 1.1676998740e-1f;
        p = p * f - 1.2420140846e-1f;
        p = p * f + 1.4249322787e-1f;
        p = p * f - 1.6668057665e-1f;
        p = p * f + 2.0000714765e-1f;
        p = p * f - 2.4999993993e-1f;
        p = p * f + 3.3333331174e-1f;
        float y = p * f * z;
        y += e * -2.12194440e-4f;
        y -= 0.5f * z;
        return (f + y) + e * 0.693359375f;
    }

    /// <summary>Standard normal CDF via erfc (Numerical Recipes' erfcc, relative error &lt; 1.2e-7).</summary>
    public static double NormalCdf(double x)
    {
        double z = Math.Abs(x) / Math.Sqrt(2), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
            t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - 0.5 * r : 0.5 * r;
    }
}
