namespace LearnedOpt.Tests.Tasks;

/// <summary>A float64 linear solve for reference minimizers (W⁻¹y) and Newton steps in the tests.</summary>
internal static class DenseSolve
{
    /// <summary>Solves A x = b (row-major n × n) by Gaussian elimination with partial pivoting.</summary>
    public static double[] Solve(double[] a, double[] b, int n)
    {
        var m = (double[])a.Clone();
        var x = (double[])b.Clone();
        for (int c = 0; c < n; c++)
        {
            int piv = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r * n + c]) > Math.Abs(m[piv * n + c])) piv = r;
            if (piv != c)
            {
                for (int j = 0; j < n; j++) (m[c * n + j], m[piv * n + j]) = (m[piv * n + j], m[c * n + j]);
                (x[c], x[piv]) = (x[piv], x[c]);
            }
            for (int r = c + 1; r < n; r++)
            {
                double k = m[r * n + c] / m[c * n + c];
                for (int j = c; j < n; j++) m[r * n + j] -= k * m[c * n + j];
                x[r] -= k * x[c];
            }
        }
        for (int r = n - 1; r >= 0; r--)
        {
            double s = x[r];
            for (int j = r + 1; j < n; j++) s -= m[r * n + j] * x[j];
            x[r] = s / m[r * n + r];
        }
        return x;
    }
}
