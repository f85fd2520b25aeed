namespace LearnedOpt.Randomness;

/// <summary>
/// Seeded generator used for every random draw in the engine (tasks, initial points, weights,
/// noise, meta-training): xoshiro256** seeded through SplitMix64. Same seed, same sequence on
/// every machine; <see cref="Fork(string)"/> derives independent named streams without consuming this one's.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareGaussian;

    public Rng(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    public ulong Seed { get; }

    /// <summary>
    /// A stream with the same <see cref="Seed"/> but its own draws, numbered by <paramref name="index"/>.
    /// For per-step randomness (gradient noise, sparsity masks) of an episode whose seed-keyed parts
    /// (the minibatch schedule, which permutes each epoch from the seed) must stay the same across steps.
    /// </summary>
    public Rng Stream(long index)
    {
        var r = new Rng(Mix(Seed ^ 0xD1B54A32D192ED03UL, index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return new Rng(Seed, r);
    }

    private Rng(ulong seed, Rng state)
    {
        Seed = seed;
        (_s0, _s1, _s2, _s3) = (state._s0, state._s1, state._s2, state._s3);
    }

    /// <summary>An independent stream for a purpose (e.g. "init", "noise"), fixed by this seed and the key.</summary>
    public Rng Fork(string key) => new(Mix(Seed, key));

    /// <summary>An independent stream for an index (e.g. instance i of a batch).</summary>
    public Rng Fork(long index) => new(Mix(Seed ^ 0x9E3779B97F4A7C15UL, index.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public ulong NextUInt64()
    {
        ulong result = RotL(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotL(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        return (int)((NextUInt64() >> 11) % (ulong)n);
    }

    /// <summary>Standard normal (Marsaglia's polar method: only log and sqrt).</summary>
    public double NextGaussian()
    {
        if (_spareGaussian is { } spare)
        {
            _spareGaussian = null;
            return spare;
        }
        double u, v, s;
        do
        {
            u = 2.0 * NextDouble() - 1.0;
            v = 2.0 * NextDouble() - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        double f = Math.Sqrt(-2.0 * Math.Log(s) / s);
        _spareGaussian = v * f;
        return u * f;
    }

    public double Gaussian(double mean, double std) => mean + std * NextGaussian();

    /// <summary>Exponential with the given mean.</summary>
    public double Exponential(double mean) => -mean * Math.Log(1.0 - NextDouble());

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Full generator state, for checkpoints.</summary>
    public ulong[] SaveState() => [_s0, _s1, _s2, _s3, _spareGaussian.HasValue ? 1UL : 0UL, BitConverter.DoubleToUInt64Bits(_spareGaussian ?? 0)];

    public void LoadState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 6) throw new ArgumentException($"RNG state has {state.Length} words, expected 6.", nameof(state));
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
        _spareGaussian = state[4] != 0 ? BitConverter.UInt64BitsToDouble(state[5]) : null;
    }

    private static ulong RotL(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    // FNV-1a over the key, mixed with the seed: stable across runs and machines (string.GetHashCode is not).
    private static ulong Mix(ulong seed, string key)
    {
        ulong h = 0xcbf29ce484222325UL ^ seed;
        foreach (char c in key)
        {
            h ^= c;
            h *= 0x100000001b3UL;
        }
        ulong x = h;
        return SplitMix(ref x);
    }
}
