using LearnedOpt.Interop;
using LearnedOpt.MetaTraining.Gradients;

namespace LearnedOpt.Backends.Cpu;

/// <summary>
/// The per-coordinate work on the CPU: host arrays and the float64 launchers of the CPU library
/// (hrnn_grad_cpu.cpp), called exactly as the unroll did before the engine seam (same order of
/// summation for μ), so results are unchanged bit for bit. The tensors of a batched call run in
/// parallel (independent jobs, same bits).
/// </summary>
internal sealed unsafe class CpuCoordinateEngine : HrnnCoordinateEngine
{
    public override string Description => "cpu (liblopt_cpu, float64)";

    public override bool IsThreadSafe => true;

    public override CoordinateTensor Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return new HostTensor(this, length);
    }

    public override void Upload(ReadOnlySpan<double> values, CoordinateTensor destination)
    {
        var t = Own<HostTensor>(destination, -1, nameof(destination));
        if (values.Length != t.Values) throw new ArgumentException($"{values.Length} values for {t.Length} coordinates; expected {t.Values}.", nameof(values));
        values.CopyTo(t.Data);
    }

    public override void Download(CoordinateTensor source, Span<double> values)
    {
        var t = Own<HostTensor>(source, -1, nameof(source));
        if (values.Length != t.Values) throw new ArgumentException($"{values.Length} values for {t.Length} coordinates; expected {t.Values}.", nameof(values));
        t.Data.CopyTo(values);
    }

    public override void Copy(CoordinateTensor source, CoordinateTensor destination)
    {
        var s = Own<HostTensor>(source, -1, nameof(source));
        s.Data.CopyTo(Own<HostTensor>(destination, s.Length, nameof(destination)).Data, 0);
    }

    // One running sum over the tensors in order, coordinate by coordinate.
    public override double EllSum(IReadOnlyList<CoordinateTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        double sum = 0;
        for (int t = 0; t < tensors.Count; t++)
        {
            var data = Own<HostTensor>(tensors[t], -1, nameof(tensors)).Data;
            for (int i = 0; i < tensors[t].Length; i++) sum += data[i * State + TbpttHrnnState.OffEll];
        }
        return sum;
    }

    public override void AddToEll(CoordinateTensor adjoint, double value)
    {
        var t = Own<HostTensor>(adjoint, -1, nameof(adjoint));
        for (int i = 0; i < t.Length; i++) t.Data[i * State + TbpttHrnnState.OffEll] += value;
    }

    public override CoordinateWeights Place(double[] pack)
    {
        CheckPack(pack);
        return new HostWeights(this, (double[])pack.Clone());
    }

    public override void Forward(CoordinateWeights w, double[] e0, double mu, double lambda, double[] g, CoordinateTensor input,
                                 CoordinateTensor output, double[] d, double[] a, double[] sums)
    {
        var pack = Own<HostWeights>(w).Pack;
        var inp = Own<HostTensor>(input, -1, nameof(input));
        var outp = Own<HostTensor>(output, inp.Length, nameof(output));
        if (ReferenceEquals(inp, outp)) throw new ArgumentException("input and output must be distinct tensors.", nameof(output));
        CheckForward(e0, g, d, a, sums, inp.Length);
        fixed (double* pw = pack, e0p = e0, gp = g, ip = inp.Data, op = outp.Data, dp = d, ap = a, sp = sums)
            LoptCpuNative.Check(LoptHrnnGradNative.lopt_hrnn_grad_forward_f64(pw, e0p, mu, lambda, gp, ip, op, dp, ap, sp, inp.Length),
                "lopt_hrnn_grad_forward_f64");
    }

    public override void Backward(CoordinateWeights w, double[] e0, double mu, double lambda, double[] g, CoordinateTensor input,
                                  CoordinateTensor adjoint, double[] xAdd, double[] hAdd, double[] dBar, double[] aBar, double[] gBar, double[] acc)
    {
        var pack = Own<HostWeights>(w).Pack;
        var inp = Own<HostTensor>(input, -1, nameof(input));
        var bar = Own<HostTensor>(adjoint, inp.Length, nameof(adjoint));
        CheckBackward(e0, g, xAdd, hAdd, dBar, aBar, gBar, acc, inp.Length);
        fixed (double* pw = pack, e0p = e0, gp = g, ip = inp.Data, nb = bar.Data, xa = xAdd, ha = hAdd, db = dBar, ab = aBar, gb = gBar, ac = acc)
            LoptCpuNative.Check(LoptHrnnGradNative.lopt_hrnn_grad_backward_f64(pw, e0p, mu, lambda, gp, ip, nb, xa, ha, db, ab, nb, gb, ac, inp.Length),
                "lopt_hrnn_grad_backward_f64");
    }

    // A batch's tensors are independent (each job writes only its own outputs), so they run on
    // pool threads, as the problems of a batch did before the lock-step walk; each job's result is
    // the same bits as alone (the launchers' sums do not depend on the thread).
    public override void ForwardAll(CoordinateWeights w, IReadOnlyList<ForwardJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count < 2) base.ForwardAll(w, jobs);
        else Parallel.For(0, jobs.Count, i =>
        {
            var j = jobs[i];
            Forward(w, j.E0, j.Mu, j.Lambda, j.G, j.Input, j.Output, j.D, j.A, j.Sums);
        });
    }

    public override void BackwardAll(CoordinateWeights w, IReadOnlyList<BackwardJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count < 2) base.BackwardAll(w, jobs);
        else Parallel.For(0, jobs.Count, i =>
        {
            var j = jobs[i];
            Backward(w, j.E0, j.Mu, j.Lambda, j.G, j.Input, j.Adjoint, j.XAdd, j.HAdd, j.DBar, j.ABar, j.GBar, j.Acc);
        });
    }

    private sealed class HostTensor(CpuCoordinateEngine owner, int length) : CoordinateTensor(owner, length)
    {
        public readonly double[] Data = new double[checked(length * State)];

        public override void Dispose() { }
    }

    private sealed class HostWeights(CpuCoordinateEngine owner, double[] pack) : CoordinateWeights(owner)
    {
        public readonly double[] Pack = pack;

        public override void Dispose() { }
    }
}
