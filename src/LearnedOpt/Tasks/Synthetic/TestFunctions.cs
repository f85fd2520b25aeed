using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Value, exact gradient and exact Hessian of the 2-D test functions in float64, with the
/// reference's offsets (Styblinski-Tang +80, Michalewicz +2) that keep every loss ≥ 0.
/// This is the reference the float32 batched kernels (lopt_problems.h) are checked against.
/// </summary>
public static class TestFunctions
{
    private const double BraninB = 5.1 / (4 * Math.PI * Math.PI);
    private const double BraninC = 5 / Math.PI;
    private const double BraninT = 1 / (8 * Math.PI);
    private static readonly double[] BealeC = [1.5, 2.25, 2.625];

    public static IReadOnlyList<TestFunction> All { get; } = Enum.GetValues<TestFunction>();

    /// <summary>Registry name, e.g. "styblinski-tang".</summary>
    public static string Name(TestFunction f) => f switch
    {
        TestFunction.StyblinskiTang => "styblinski-tang",
        TestFunction.LogSumExp => "log-sum-exp",
        _ => f.ToString().ToLowerInvariant(),
    };

    /// <summary>f(x, y); writes the gradient and the Hessian [hxx, hxy, hyy] when asked.</summary>
    public static double Evaluate(TestFunction fn, double x, double y, Span<double> grad, Span<double> hess)
    {
        double f, gx, gy, hxx, hxy, hyy;
        switch (fn)
        {
            case TestFunction.Rosenbrock:
            {
                double u = y - x * x;
                f = (1 - x) * (1 - x) + 100 * u * u;
                gx = -2 * (1 - x) - 400 * x * u;
                gy = 200 * u;
                hxx = 2 - 400 * y + 1200 * x * x;
                hxy = -400 * x;
                hyy = 200;
                break;
            }
            case TestFunction.Beale:
            {
                f = gx = gy = hxx = hxy = hyy = 0;
                double yi = 1; // y^(i-1)
                for (int i = 1; i <= 3; i++)
                {
                    double yim2 = i >= 2 ? Math.Pow(y, i - 2) : 0;
                    double t = BealeC[i - 1] - x + x * yi * y;
                    double a = yi * y - 1;        // ∂t/∂x
                    double b = i * x * yi;        // ∂t/∂y
                    f += t * t;
                    gx += 2 * t * a;
                    gy += 2 * t * b;
                    hxx += 2 * a * a;
                    hxy += 2 * (a * b + t * i * yi);
                    hyy += 2 * (b * b + t * i * (i - 1) * x * yim2);
                    yi *= y;
                }
                break;
            }
            case TestFunction.Booth:
            {
                double a = x + 2 * y - 7, b = 2 * x + y - 5;
                f = a * a + b * b;
                gx = 10 * x + 8 * y - 34;
                gy = 8 * x + 10 * y - 38;
                hxx = 10; hxy = 8; hyy = 10;
                break;
            }
            case TestFunction.Branin:
            {
                double u = y - BraninB * x * x + BraninC * x - 6;
                double du = BraninC - 2 * BraninB * x;
                f = u * u + 10 * (1 - BraninT) * Math.Cos(x) + 10;
                gx = 2 * u * du - 10 * (1 - BraninT) * Math.Sin(x);
                gy = 2 * u;
                hxx = 2 * du * du - 4 * BraninB * u - 10 * (1 - BraninT) * Math.Cos(x);
                hxy = 2 * du;
                hyy = 2;
                break;
            }
            case TestFunction.Matyas:
                f = 0.26 * (x * x + y * y) - 0.48 * x * y;
                gx = 0.52 * x - 0.48 * y;
                gy = 0.52 * y - 0.48 * x;
                hxx = 0.52; hxy = -0.48; hyy = 0.52;
                break;
            case TestFunction.Ackley:
            {
                double rho = Math.Sqrt(0.5 * (x * x + y * y));
                double e1 = Math.Exp(-0.2 * rho);
                double cx = Math.Cos(2 * Math.PI * x), cy = Math.Cos(2 * Math.PI * y);
                double sx = Math.Sin(2 * Math.PI * x), sy = Math.Sin(2 * Math.PI * y);
                double e2 = Math.Exp(0.5 * (cx + cy));
                f = -20 * e1 - e2 + Math.E + 20;
                // The first term is not differentiable at the origin (a cone); there its gradient is taken as 0.
                double k = rho > 0 ? 2 * e1 / rho : 0;
                double q = rho > 0 ? 2 * e1 * (0.1 / (rho * rho) + 0.5 / (rho * rho * rho)) : 0;
                gx = k * x + Math.PI * e2 * sx;
                gy = k * y + Math.PI * e2 * sy;
                double pi2 = Math.PI * Math.PI;
                hxx = k - q * x * x + pi2 * e2 * (2 * cx - sx * sx);
                hxy = -q * x * y - pi2 * e2 * sx * sy;
                hyy = k - q * y * y + pi2 * e2 * (2 * cy - sy * sy);
                break;
            }
            case TestFunction.StyblinskiTang:
                f = 0.5 * (x * x * x * x - 16 * x * x + 5 * x + y * y * y * y - 16 * y * y + 5 * y) + 80;
                gx = 0.5 * (4 * x * x * x - 32 * x + 5);
                gy = 0.5 * (4 * y * y * y - 32 * y + 5);
                hxx = 6 * x * x - 16; hxy = 0; hyy = 6 * y * y - 16;
                break;
            case TestFunction.Michalewicz:
            {
                var (hx, dhx, ddhx) = MichalewiczTerm(x, 1);
                var (hy, dhy, ddhy) = MichalewiczTerm(y, 2);
                f = 2 - hx - hy;
                gx = -dhx; gy = -dhy;
                hxx = -ddhx; hxy = 0; hyy = -ddhy;
                break;
            }
            case TestFunction.LogSumExp:
            {
                // Terms a_k·θ + c_k with a = (1,3), (1,-3), (-1,0) at c = -0.1, plus the constant e^0 = 1.
                double z0 = x + 3 * y - 0.1, z1 = x - 3 * y - 0.1, z2 = -x - 0.1;
                double m = Math.Max(Math.Max(z0, z1), Math.Max(z2, 0));
                double e0 = Math.Exp(z0 - m), e1 = Math.Exp(z1 - m), e2 = Math.Exp(z2 - m), e3 = Math.Exp(-m);
                double s = e0 + e1 + e2 + e3;
                f = m + Math.Log(s);
                double p0 = e0 / s, p1 = e1 / s, p2 = e2 / s;
                gx = p0 + p1 - p2;
                gy = 3 * p0 - 3 * p1;
                hxx = p0 + p1 + p2 - gx * gx;
                hxy = 3 * p0 - 3 * p1 - gx * gy;
                hyy = 9 * p0 + 9 * p1 - gy * gy;
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(fn), fn, "Unknown test function.");
        }
        if (!grad.IsEmpty) { grad[0] = gx; grad[1] = gy; }
        if (!hess.IsEmpty) { hess[0] = hxx; hess[1] = hxy; hess[2] = hyy; }
        return f;
    }

    // h(z) = sin z · sin^10(i z²/π) with its first two derivatives (m = 5 gives the exponent 2m = 10).
    private static (double H, double D, double DD) MichalewiczTerm(double z, int i)
    {
        double u = i * z * z / Math.PI, du = 2 * i * z / Math.PI, ddu = 2 * i / Math.PI;
        double s = Math.Sin(u), c = Math.Cos(u), sz = Math.Sin(z), cz = Math.Cos(z);
        double s8 = Math.Pow(s, 8), s9 = s8 * s, s10 = s9 * s;
        double h = sz * s10;
        double d = cz * s10 + 10 * sz * s9 * c * du;
        double dd = -sz * s10 + 20 * cz * s9 * c * du + 10 * sz * (9 * s8 * c * c * du * du - s10 * du * du + s9 * c * ddu);
        return (h, d, dd);
    }

    /// <summary>A draw of the reference's initial-point distribution.</summary>
    public static (double X, double Y) SampleInitial(TestFunction fn, Rng rng) => fn switch
    {
        TestFunction.Rosenbrock => (rng.Uniform(-5, 10), rng.Uniform(-5, 10)),
        TestFunction.Beale => (rng.Uniform(-4.5, 4.5), rng.Uniform(-4.5, 4.5)),
        TestFunction.Booth or TestFunction.Matyas => (rng.Uniform(-10, 10), rng.Uniform(-10, 10)),
        TestFunction.Ackley => (rng.Uniform(-32.768, 32.768), rng.Uniform(-32.768, 32.768)),
        TestFunction.Branin => (rng.Uniform(-5, 10), rng.Uniform(0, 15)),
        TestFunction.StyblinskiTang => (rng.Uniform(-5, 5), rng.Uniform(-5, 5)),
        TestFunction.Michalewicz => (rng.Uniform(0, Math.PI), rng.Uniform(0, Math.PI)),
        TestFunction.LogSumExp => (rng.NextGaussian(), rng.NextGaussian()),
        _ => throw new ArgumentOutOfRangeException(nameof(fn), fn, "Unknown test function."),
    };

    /// <summary>A global minimizer (one of several for Branin), for tests and docs.</summary>
    public static (double X, double Y) Minimizer(TestFunction fn) => fn switch
    {
        TestFunction.Rosenbrock => (1, 1),
        TestFunction.Beale => (3, 0.5),
        TestFunction.Booth => (1, 3),
        TestFunction.Branin => (Math.PI, 2.275),
        TestFunction.Matyas or TestFunction.Ackley => (0, 0),
        TestFunction.StyblinskiTang => (-2.903534, -2.903534),
        TestFunction.Michalewicz => (2.18531, Math.PI / 2),
        TestFunction.LogSumExp => (-0.5 * Math.Log(2), 0),
        _ => throw new ArgumentOutOfRangeException(nameof(fn), fn, "Unknown test function."),
    };
}
