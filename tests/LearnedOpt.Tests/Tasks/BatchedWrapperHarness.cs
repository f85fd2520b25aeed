using LearnedOpt.Backends;
using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Tests.Tasks;

/// <summary>Runs an <see cref="IBatchedProblem"/> on host arrays, whatever its backend (copies in and out).</summary>
internal static class BatchedWrapperHarness
{
    public static (float[] Loss, float[] Grad) Evaluate(IBatchedProblem p, float[] theta)
        => Value(p, theta, (t, l, g) => p.Evaluate(t, l, g));

    public static (float[] Loss, float[] Grad) TrainingStep(IBatchedProblem p, float[] theta, long step)
        => Value(p, theta, (t, l, g) => p.TrainingStep(t, step, l, g));

    public static (float[] Loss, float[] Grad) MinibatchStep(BatchedComposite p, float[] theta, long step)
        => Value(p, theta, (t, l, g) => p.MinibatchStep(t, step, l, g));

    public static float[] Hvp(IBatchedProblem p, float[] theta, float[] v)
        => Product(p, theta, v, (t, pv, h) => p.HessianVectorProduct(t, pv, h));

    public static float[] TrainingHvp(IBatchedProblem p, float[] theta, long step, float[] v)
        => Product(p, theta, v, (t, pv, h) => p.TrainingHvp(t, step, pv, h));

    private static (float[] Loss, float[] Grad) Value(IBatchedProblem p, float[] theta, Action<TensorView, TensorView, TensorView> call)
    {
        var b = p.Backend;
        using var t = b.Allocate(theta.Length);
        using var l = b.Allocate(p.Count);
        using var g = b.Allocate(theta.Length);
        b.CopyFromHost(theta, t.View);
        call(t.View, l.View, g.View);
        var (loss, grad) = (new float[p.Count], new float[theta.Length]);
        b.CopyToHost(l.View, loss);
        b.CopyToHost(g.View, grad);
        return (loss, grad);
    }

    private static float[] Product(IBatchedProblem p, float[] theta, float[] v, Action<TensorView, TensorView, TensorView> call)
    {
        var b = p.Backend;
        using var t = b.Allocate(theta.Length);
        using var pv = b.Allocate(v.Length);
        using var h = b.Allocate(theta.Length);
        b.CopyFromHost(theta, t.View);
        b.CopyFromHost(v, pv.View);
        call(t.View, pv.View, h.View);
        var hv = new float[theta.Length];
        b.CopyToHost(h.View, hv);
        return hv;
    }

    /// <summary>Random draws of a <see cref="WrapperKernels"/> on its backend, copied to the host.</summary>
    public static float[] Fill(WrapperKernels k, RandomDraw draw, int dim, long step, uint stream)
    {
        using var o = k.Backend.Allocate((long)k.Count * dim);
        k.Fill(draw, dim, step, stream, o.View);
        var r = new float[k.Count * dim];
        k.Backend.CopyToHost(o.View, r);
        return r;
    }
}
