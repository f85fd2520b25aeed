using LearnedOpt.Optimizers;

namespace LearnedOpt.Tests.Optimizers;

/// <summary>
/// Independent scalar reference of each hand-designed optimizer, written from torch.optim's
/// documented update rules (and Bello et al. for PowerSign/AddSign) in float32, with the bias
/// corrections in double as torch computes them (NAdam's momentum product in float32, as torch keeps
/// it in a float tensor). Shares no code with native/.
/// </summary>
internal sealed class ReferenceOptimizer(OptimizerKind kind, HyperParameters hp, int n)
{
    private readonly float[] _a = InitialA(kind, hp, n); // exp_avg / momentum_buffer / square_avg / sum
    private readonly float[] _b = new float[n];   // exp_avg_sq / exp_inf / rmsprop grad_avg or momentum_buffer
    private readonly float[] _c = new float[n];   // max_exp_avg_sq / centered rmsprop momentum_buffer
    private long _t;
    private float _muProduct = 1f;

    public float[] StateA => _a;
    public float[] StateB => _b;
    public float[] StateC => _c;

    private static float[] InitialA(OptimizerKind kind, HyperParameters hp, int n)
        => kind == OptimizerKind.Adagrad ? Enumerable.Repeat(hp.InitialAccumulator, n).ToArray() : new float[n];

    public void Step(float[] p, float[] g)
    {
        _t++;
        if (kind == OptimizerKind.NAdam) _muProduct *= (float)Mu(_t);
        for (int i = 0; i < p.Length; i++)
        {
            if (!float.IsFinite(g[i])) continue; // our documented policy: skip the element
            switch (kind)
            {
                case OptimizerKind.Sgd or OptimizerKind.Momentum or OptimizerKind.Nesterov: Sgd(ref p[i], g[i], ref _a[i]); break;
                case OptimizerKind.RmsProp when hp.Centered: CenteredRmsProp(ref p[i], g[i], ref _a[i], ref _b[i], ref _c[i]); break;
                case OptimizerKind.RmsProp: RmsProp(ref p[i], g[i], ref _a[i], ref _b[i]); break;
                case OptimizerKind.Adam or OptimizerKind.AdamW: Adam(ref p[i], g[i], ref _a[i], ref _b[i], ref _c[i]); break;
                case OptimizerKind.Adagrad: Adagrad(ref p[i], g[i], ref _a[i]); break;
                case OptimizerKind.Adamax: Adamax(ref p[i], g[i], ref _a[i], ref _b[i]); break;
                case OptimizerKind.NAdam: NAdam(ref p[i], g[i], ref _a[i], ref _b[i]); break;
                case OptimizerKind.RAdam: RAdam(ref p[i], g[i], ref _a[i], ref _b[i]); break;
                case OptimizerKind.PowerSign or OptimizerKind.AddSign: Sign(ref p[i], g[i], ref _a[i]); break;
                default: throw new ArgumentOutOfRangeException(nameof(kind));
            }
        }
    }

    private void Sgd(ref float p, float g, ref float buf)
    {
        float d = g + hp.WeightDecay * p;
        if (hp.Momentum != 0)
        {
            buf = _t == 1 ? d : hp.Momentum * buf + (1 - hp.Dampening) * d; // torch: buf = clone(d) at the first step
            d = hp.Nesterov ? d + hp.Momentum * buf : buf;
        }
        p -= hp.Lr * d;
    }

    private void RmsProp(ref float p, float g, ref float sq, ref float buf)
    {
        float d = g + hp.WeightDecay * p;
        sq = hp.Alpha * sq + (1 - hp.Alpha) * d * d;
        float avg = MathF.Sqrt(sq) + hp.Eps;
        if (hp.Momentum > 0)
        {
            buf = hp.Momentum * buf + d / avg;
            p -= hp.Lr * buf;
        }
        else
        {
            p -= hp.Lr * (d / avg);
        }
    }

    private void CenteredRmsProp(ref float p, float g, ref float sq, ref float mean, ref float buf)
    {
        float d = g + hp.WeightDecay * p;
        sq = hp.Alpha * sq + (1 - hp.Alpha) * d * d;
        mean = hp.Alpha * mean + (1 - hp.Alpha) * d;
        float avg = MathF.Sqrt(sq - mean * mean) + hp.Eps; // variance estimate E[d^2] - E[d]^2
        if (hp.Momentum > 0)
        {
            buf = hp.Momentum * buf + d / avg;
            p -= hp.Lr * buf;
        }
        else
        {
            p -= hp.Lr * (d / avg);
        }
    }

    private void Adagrad(ref float p, float g, ref float sum)
    {
        float d = g + hp.WeightDecay * p;
        sum += d * d;
        float clr = (float)(hp.Lr / (1 + (_t - 1) * (double)hp.LrDecay));
        p -= clr * (d / (MathF.Sqrt(sum) + hp.Eps));
    }

    private void Adamax(ref float p, float g, ref float m, ref float u)
    {
        float d = g + hp.WeightDecay * p;
        m = hp.Beta1 * m + (1 - hp.Beta1) * d;
        u = MathF.Max(hp.Beta2 * u, MathF.Abs(d) + hp.Eps); // exponentially weighted infinity norm
        float clr = (float)(hp.Lr / (1 - Math.Pow(hp.Beta1, _t)));
        p -= clr * (m / u);
    }

    // NAdam's momentum schedule mu_t (Dozat 2016 with torch's 0.96 base).
    private double Mu(long t) => hp.Beta1 * (1 - 0.5 * Math.Pow(0.96, t * (double)hp.MomentumDecay));

    private void NAdam(ref float p, float g, ref float m, ref float v)
    {
        float d = g;
        if (hp.DecoupledWeightDecay) p *= 1 - hp.Lr * hp.WeightDecay;
        else d = g + hp.WeightDecay * p;
        m = hp.Beta1 * m + (1 - hp.Beta1) * d;
        v = hp.Beta2 * v + (1 - hp.Beta2) * d * d;
        double bc2 = 1 - Math.Pow(hp.Beta2, _t), mu = Mu(_t), muNext = Mu(_t + 1);
        float denom = MathF.Sqrt(v / (float)bc2) + hp.Eps;
        p += (float)(-hp.Lr * (1 - mu) / (1 - (double)_muProduct)) * (d / denom); // torch: a Python float of the product
        p += (float)(-hp.Lr * muNext / (1 - _muProduct * muNext)) * (m / denom);
    }

    private void RAdam(ref float p, float g, ref float m, ref float v)
    {
        float d = g;
        if (hp.DecoupledWeightDecay) p *= 1 - hp.Lr * hp.WeightDecay;
        else d = g + hp.WeightDecay * p;
        m = hp.Beta1 * m + (1 - hp.Beta1) * d;
        v = hp.Beta2 * v + (1 - hp.Beta2) * d * d;
        double bc1 = 1 - Math.Pow(hp.Beta1, _t), bc2 = 1 - Math.Pow(hp.Beta2, _t);
        double rhoInf = 2 / (1 - (double)hp.Beta2) - 1;
        double rho = rhoInf - 2 * _t * Math.Pow(hp.Beta2, _t) / bc2; // length of the approximated SMA
        float mHat = m / (float)bc1;
        if (rho > 5)
        {
            double r = Math.Sqrt((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho));
            p -= mHat * hp.Lr * ((float)Math.Sqrt(bc2) / (MathF.Sqrt(v) + hp.Eps)) * (float)r;
        }
        else
        {
            p -= mHat * hp.Lr; // the variance is not yet tractable: momentum SGD
        }
    }

    private void Adam(ref float p, float g, ref float m, ref float v, ref float vMax)
    {
        float d = g;
        if (kind == OptimizerKind.AdamW) p *= 1 - hp.Lr * hp.WeightDecay;
        else d = g + hp.WeightDecay * p;
        m = hp.Beta1 * m + (1 - hp.Beta1) * d;         // torch.optim.Adam docs: m_t = b1 m + (1 - b1) g
        v = hp.Beta2 * v + (1 - hp.Beta2) * d * d;
        double bc1 = 1 - Math.Pow(hp.Beta1, _t), bc2 = 1 - Math.Pow(hp.Beta2, _t);
        float stepSize = (float)(hp.Lr / bc1);
        if (hp.Amsgrad) vMax = MathF.Max(vMax, v);
        float denom = MathF.Sqrt(hp.Amsgrad ? vMax : v) / (float)Math.Sqrt(bc2) + hp.Eps;
        p -= stepSize * (m / denom);
    }

    private void Sign(ref float p, float g, ref float m)
    {
        float d = g + hp.WeightDecay * p;
        m = hp.Beta1 * m + (1 - hp.Beta1) * d;
        float f = (float)Decay(_t - 1);
        float agree = MathF.Sign(d) * MathF.Sign(m);
        float scale = kind == OptimizerKind.PowerSign ? MathF.Pow(hp.Base, f * agree) : hp.Base + f * agree;
        p -= hp.Lr * scale * d;
    }

    // Bello et al.'s sign decays at s completed steps out of T.
    private double Decay(double s)
    {
        double total = hp.TotalSteps, frac = Math.Min(s, total) / total;
        return hp.Decay switch
        {
            SignDecay.None => 1,
            SignDecay.Linear => 1 - frac,
            SignDecay.Cyclic => 0.5 * (1 + Math.Cos(2 * Math.PI * hp.Periods * frac)),
            SignDecay.Restart => 0.5 * (1 + Math.Cos(Math.PI * (hp.Periods * Math.Min(s, total) % total) / total)),
            _ => throw new ArgumentOutOfRangeException(),
        };
    }
}
