namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// An HRNN optimizer state (or its adjoint) during an unroll: the per-coordinate part in an
/// engine's memory (one <see cref="CoordinateTensor"/> per parameter tensor), the tensor-RNN states
/// s_k and the global state G on the host. <see cref="TbpttHrnnState"/> is its host form.
/// </summary>
internal sealed class TbpttEngineState : IDisposable
{
    private TbpttEngineState(HrnnCoordinateEngine engine, int[] lengths, int h1, int h2)
    {
        Engine = engine;
        Lengths = lengths;
        Sk = lengths.Select(_ => new double[h1]).ToArray();
        G = new double[h2];
        Coords = new CoordinateTensor[lengths.Length];
        try
        {
            for (int t = 0; t < lengths.Length; t++) Coords[t] = engine.Allocate(lengths[t]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public HrnnCoordinateEngine Engine { get; }
    public int[] Lengths { get; }
    public int TensorCount => Lengths.Length;
    public readonly CoordinateTensor[] Coords;
    public readonly double[][] Sk;
    public readonly double[] G;

    /// <summary>Zeroed storage for a state of these tensor lengths and hidden sizes.</summary>
    public static TbpttEngineState Allocate(HrnnCoordinateEngine engine, int[] lengths, int h1, int h2)
        => new(engine, (int[])lengths.Clone(), h1, h2);

    /// <summary>The host state copied into the engine.</summary>
    public static TbpttEngineState From(HrnnCoordinateEngine engine, TbpttHrnnState host)
    {
        var s = Allocate(engine, host.Lengths, host.H1, host.H2);
        try
        {
            for (int t = 0; t < s.TensorCount; t++)
            {
                engine.Upload(host.Coords[t], s.Coords[t]);
                host.Sk[t].CopyTo(s.Sk[t], 0);
            }
            host.G.CopyTo(s.G, 0);
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>The state copied to the host.</summary>
    public TbpttHrnnState ToHost()
    {
        var host = new TbpttHrnnState(Lengths, Sk[0].Length, G.Length);
        for (int t = 0; t < TensorCount; t++)
        {
            Engine.Download(Coords[t], host.Coords[t]);
            Sk[t].CopyTo(host.Sk[t], 0);
        }
        G.CopyTo(host.G, 0);
        return host;
    }

    public TbpttEngineState Clone()
    {
        var c = Allocate(Engine, Lengths, Sk[0].Length, G.Length);
        try
        {
            CopyTo(c);
            return c;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    /// <summary>Copies every value into <paramref name="dest"/> (same engine, lengths and sizes).</summary>
    public void CopyTo(TbpttEngineState dest)
    {
        for (int t = 0; t < TensorCount; t++) CopyTensorTo(t, dest);
        G.CopyTo(dest.G, 0);
    }

    /// <summary>Copies tensor t's coordinates and s_k into <paramref name="dest"/>.</summary>
    public void CopyTensorTo(int t, TbpttEngineState dest)
    {
        Engine.Copy(Coords[t], dest.Coords[t]);
        Sk[t].CopyTo(dest.Sk[t], 0);
    }

    public void Dispose()
    {
        foreach (var c in Coords) c?.Dispose();
    }
}
