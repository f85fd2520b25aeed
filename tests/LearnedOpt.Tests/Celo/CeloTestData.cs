using System.Buffers.Binary;
using System.Text;
using LearnedOpt.Optimizers.Celo;

namespace LearnedOpt.Tests.Celo;

/// <summary>Weights the tests generate themselves, and the released file's location when the environment names it.</summary>
internal static class CeloTestData
{
    public const string ThetaVariable = "LOPT_CELO_THETA";

    /// <summary>The released theta.state named by LOPT_CELO_THETA; skips the calling test when unset.</summary>
    public static string RequireReleasedTheta()
    {
        var path = Environment.GetEnvironmentVariable(ThetaVariable);
        Assert.SkipWhen(string.IsNullOrEmpty(path), $"{ThetaVariable} is unset: set it to Celo's released theta.state (github.com/amoudgl/celo, algoperf/submissions/celo/) to run the checks with the real weights.");
        Assert.True(File.Exists(path), $"{ThetaVariable} names '{path}', which does not exist.");
        return path!;
    }

    /// <summary>
    /// Haiku-style random weights in our names: truncated normal (±2σ), σ = 1/√fan_in (30 for w0,
    /// 128 for the LSTM), biases small and non-zero so that every path is exercised.
    /// </summary>
    public static Dictionary<string, float[]> RandomWeights(int seed)
    {
        var rng = new Random(seed);
        var values = new Dictionary<string, float[]>();
        foreach (var (name, shape) in CeloWeights.Layout)
        {
            long n = shape.Aggregate(1L, (a, b) => a * b);
            double fanIn = name switch
            {
                "mlp/w0" => 30,
                "sched/lstm/w" => 128,
                _ when shape.Length == 2 => shape[0],
                "sched/step/w" => 64,
                _ => 0,
            };
            double sigma = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0.1;
            var v = new float[n];
            for (long i = 0; i < n; i++)
            {
                double z;
                do z = Normal(rng); while (Math.Abs(z) > 2);
                v[i] = (float)(sigma * z);
            }
            values[name] = v;
        }
        return values;
    }

    public static CeloWeights Weights(int seed) => CeloWeights.FromValues(RandomWeights(seed));

    private static double Normal(Random rng)
        => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

/// <summary>
/// A minimal msgpack writer for flax-style state files (the test's own, independent of the reader
/// under test): maps with string keys, arrays as extension type 1 holding [shape, dtype, bytes].
/// </summary>
internal sealed class TestMsgpackWriter
{
    private readonly MemoryStream _out = new();

    public byte[] ToArray() => _out.ToArray();

    public void Map(int count)
    {
        if (count < 16) _out.WriteByte((byte)(0x80 | count));
        else { _out.WriteByte(0xde); U16(count); }
    }

    public void List(int count)
    {
        if (count < 16) _out.WriteByte((byte)(0x90 | count));
        else { _out.WriteByte(0xdc); U16(count); }
    }

    public void Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        if (b.Length < 32) _out.WriteByte((byte)(0xa0 | b.Length));
        else { _out.WriteByte(0xd9); _out.WriteByte((byte)b.Length); }
        _out.Write(b);
    }

    public void Int(long v)
    {
        if (v is >= 0 and < 128) _out.WriteByte((byte)v);
        else { _out.WriteByte(0xd3); var b = new byte[8]; BinaryPrimitives.WriteInt64BigEndian(b, v); _out.Write(b); }
    }

    public void Bin(byte[] b)
    {
        _out.WriteByte(0xc6);
        var len = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)b.Length);
        _out.Write(len);
        _out.Write(b);
    }

    /// <summary>An ndarray leaf: ext 1 of [shape, dtype, little-endian bytes].</summary>
    public void Array(long[] shape, float[] values, string dtype = "float32")
    {
        var inner = new TestMsgpackWriter();
        inner.List(3);
        inner.List(shape.Length);
        foreach (var d in shape) inner.Int(d);
        inner.Str(dtype);
        var data = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), values[i]);
        inner.Bin(data);
        var payload = inner.ToArray();
        _out.WriteByte(0xc9);
        var len = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)payload.Length);
        _out.Write(len);
        _out.WriteByte(1);
        _out.Write(payload);
    }

    private void U16(int v)
    {
        _out.WriteByte((byte)(v >> 8));
        _out.WriteByte((byte)v);
    }
}
