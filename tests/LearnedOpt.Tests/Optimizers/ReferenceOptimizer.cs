using LearnedOpt.Optimizers;

namespace LearnedOpt.Tests.Optimizers;

/// <summary>
/// Independent scalar reference of each hand-designed optimizer, written from torch.optim's
/// documented update rules (and Bello et al. for PowerSign/AddSign) in float32, with the bias
/// corrections in double as torch computes them. Shares no
/// code with native/.
/// </summary>
internal sealed class ReferenceOptimizer(OptimizerKind kind, HyperParameters hp, int n)
{
    private readonly float[] _a = new float[n];   // exp_avg / momentum_buffer / square_avg
    private readonly float[] _b = new float[n];   // exp_avg_sq / rmsprop momentum_buffer
    private long _t;

    public float[] StateA => _a;
    public float[] StateB => _b;

    public void Step(float[] p, float[] g)
    {
        _t++;
        for (int i = 0; i < p.Length; i++)
        {
            if (!float.IsFinite(g[i])) continue; // our documented policy: skip the element
            switch (kind)
            {
                case OptimizerKind.Sgd or OptimizerKind.Momentum or OptimizerKind.Nesterov: Sgd(ref p[i], g[i], ref _a[i]); break;
                case OptimizerKind.RmsProp: RmsProp(ref p[i], g[i], ref _a[i], ref _b[i]); break;
                case OptimizerKind.Adam or OptimizerKind.AdamW: Adam(ref p[i], g[i], ref _a[i], ref _b[i]); break;
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
            buf = _t == 1 ? d : hp.Momentum * buf + d; // torch: buf = clone(d) at the first step
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

    private void Adam(ref float p, float g, ref float m, ref float v)
    {
        float d = g;
        if (kind == OptimizerKind.AdamW) p *= 1 - hp.Lr * hp.WeightDecay;
        else d = g + hp.WeightDecay * p;
        m = hp.Beta1 * m + (1 - hp.Beta1) * d;         // torch.optim.Adam docs: m_t = b1 m + (1 - b1) g
        v = hp.Beta2 * v + (1 - hp.Beta2) * d * d;
        double bc1 = 1 - Math.Pow(hp.Beta1, _t), bc2 = 1 - Math.Pow(hp.Beta2, _t);
        float stepSize = (float)(hp.Lr / bc1);
        float denom = MathF.Sqrt(v) / (float)Math.Sqrt(bc2) + hp.Eps;
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
