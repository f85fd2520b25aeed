using System.Runtime.InteropServices;
using LearnedOpt.Cuda;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Backends.Cuda;

/// <summary>
/// The GPU twin of a <see cref="ClassifierBatch"/>: every instance's data uploaded once, loss,
/// gradient and the exact Hessian-vector product on device tensors, on all rows or on
/// per-instance minibatch rows. Each layer's products are cuBLAS strided-batched GEMMs (batch =
/// instances); bias, sigmoid, the loss and its derivatives are kernels of native/kernels/classifier.cu,
/// which call the per-element functions of lopt_problems.h that the CPU launchers use.
/// <para>
/// Layout: row-major throughout (activations batch × width per instance, w_l = n_in × n_out).
/// cuBLAS is column-major, and a row-major r × c matrix is the column-major c × r matrix with
/// leading dimension c, so every product is issued transposed: Z = A·W becomes Zᵀ = Wᵀ·Aᵀ, i.e.
/// GEMM(N, N, m = n_out, n = batch, k = n_in, W, A); ∂W = Aᵀ·Δ becomes GEMM(N, T, n_out, n_in,
/// batch, Δ, A); E = Δ·Wᵀ becomes GEMM(T, N, n_in, batch, n_out, W, Δ); bias sums are Δᵀ·1.
/// </para>
/// Work is queued on the backend's stream (minibatch row indices are uploaded synchronously).
/// Outputs must not alias theta or v. Default cuBLAS math (no TF32), deterministic.
/// </summary>
internal sealed unsafe class CudaClassifierBatch : IClassifierBatchKernels
{
    private const string File = "classifier.cu";
    private const int Block = 256; // LOPT_CLF_BLOCK in classifier.cu

    private readonly CudaBackend _backend;
    private readonly int[] _widths;
    private readonly int _layers;
    private readonly float _reg;
    private readonly int _widest; // the widest layer output: δ buffers hold Count × Rows × _widest
    private readonly List<DeviceBuffer> _owned = [];
    private readonly DeviceBuffer _x, _y, _ones, _z, _d0, _d1;
    private readonly DeviceBuffer?[] _act; // hidden activations of layer l's output, l = 0 .. layers − 2 (index l + 1)
    private DeviceBuffer?[]? _ract;        // their R-derivatives (HVP only, allocated on first use)
    private DeviceBuffer? _rz, _r0, _r1;
    private DeviceBuffer? _xb, _yb, _idx;  // minibatch gather buffers, grown on demand
    private int _gatherCapacity;
    private readonly CudaFunction _gather, _biasAct, _biasActR, _output, _loss, _sigmoidBack, _addL2;
    private bool _disposed;

    public CudaClassifierBatch(CudaBackend backend, ClassifierBatch batch)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(batch);
        _backend = backend;
        Count = batch.Count;
        Dimension = batch.Dimension;
        Rows = batch.Rows;
        _widths = [.. batch.Widths];
        _layers = _widths.Length - 1;
        _reg = (float)(ClassifierTask.L2Scale / (2 * _layers));
        _widest = _widths.Skip(1).Max();

        _gather = backend.GetFunction(File, "lopt_clf_gather");
        _biasAct = backend.GetFunction(File, "lopt_clf_bias_act");
        _biasActR = backend.GetFunction(File, "lopt_clf_bias_act_r");
        _output = backend.GetFunction(File, "lopt_clf_output");
        _loss = backend.GetFunction(File, "lopt_clf_loss");
        _sigmoidBack = backend.GetFunction(File, "lopt_clf_sigmoid_back");
        _addL2 = backend.GetFunction(File, "lopt_clf_add_l2");
        try
        {
            _x = Upload(batch.X);
            _y = Upload(batch.Labels);
            _ones = Upload(Enumerable.Repeat(1f, Rows).ToArray());
            long perRow = (long)Count * Rows;
            _act = new DeviceBuffer?[_layers];
            for (int l = 1; l < _layers; l++) _act[l] = Own(perRow * _widths[l]);
            _z = Own(perRow);
            _d0 = Own(perRow * _widest);
            _d1 = Own(perRow * _widest);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Count { get; }

    /// <summary>Parameters per instance.</summary>
    public int Dimension { get; }

    public int Rows { get; }


    /// <summary>Loss (Count) and gradient (Count × Dimension) on all rows; pass TensorView.None to skip either.</summary>
    public void Evaluate(TensorView theta, TensorView loss, TensorView gradient)
    {
        CheckEvaluate(theta, loss, gradient);
        Run(theta, Full, loss, gradient, default, default);
    }

    /// <summary>Loss and gradient on per-instance minibatches: <paramref name="batchRows"/> is Count × batch row indices (host memory).</summary>
    public void EvaluateRows(TensorView theta, ReadOnlySpan<int> batchRows, int batch, TensorView loss, TensorView gradient)
    {
        CheckEvaluate(theta, loss, gradient);
        Run(theta, Gather(batchRows, batch), loss, gradient, default, default);
    }

    /// <summary>hv = ∇²f(theta)·v of the all-rows loss (L2 term included).</summary>
    public void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv)
    {
        CheckHvp(theta, v, hv);
        Run(theta, Full, default, default, v, hv);
    }

    /// <summary>hv = ∇²f_B(theta)·v of the loss on per-instance minibatch rows (Count × batch indices, host memory).</summary>
    public void HessianVectorProductRows(TensorView theta, ReadOnlySpan<int> batchRows, int batch, TensorView v, TensorView hv)
    {
        CheckHvp(theta, v, hv);
        Run(theta, Gather(batchRows, batch), default, default, v, hv);
    }

    /// <summary>The rows an evaluation reads: inputs (Count × Batch × d), labels (Count × Batch).</summary>
    private readonly record struct Input(ulong X, ulong Y, int Batch);

    private Input Full => new(_x.View.DevicePointer, _y.View.DevicePointer, Rows);

    /// <summary>Uploads the row indices (checked here: the kernel cannot report) and gathers those rows.</summary>
    private Input Gather(ReadOnlySpan<int> batchRows, int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (batch < 1 || batch > Rows) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"Batch must be in [1, {Rows}].");
        if (batchRows.Length != (long)Count * batch)
            throw new ArgumentException($"'batchRows' has {batchRows.Length} indices, the batch needs {Count} × {batch}.", nameof(batchRows));
        for (int i = 0; i < batchRows.Length; i++)
            if ((uint)batchRows[i] >= (uint)Rows)
                throw new ArgumentOutOfRangeException(nameof(batchRows), batchRows[i], $"Row index {i} is outside [0, {Rows}).");
        if (batch > _gatherCapacity)
        {
            foreach (var b in new[] { _xb, _yb, _idx }) if (b != null) { _owned.Remove(b); b.Dispose(); }
            _xb = _yb = _idx = null;
            _gatherCapacity = 0;
            _xb = Own((long)Count * batch * _widths[0]);
            _yb = Own((long)Count * batch);
            _idx = Own((long)Count * batch);
            _gatherCapacity = batch;
        }
        // The indices travel bit for bit in a float buffer: the kernel reads them as int.
        _backend.CopyFromHost(MemoryMarshal.Cast<int, float>(batchRows), Slice(_idx!, batchRows.Length));
        long count = Count;
        int rows = Rows, d = _widths[0];
        ulong x = _x.View.DevicePointer, y = _y.View.DevicePointer, idx = _idx!.View.DevicePointer;
        ulong xb = _xb!.View.DevicePointer, yb = _yb!.View.DevicePointer;
        var args = stackalloc void*[] { &count, &rows, &d, &batch, &x, &y, &idx, &xb, &yb };
        _backend.Launch(_gather, _backend.GridFor(count * batch * d), Block, args);
        return new Input(xb, yb, batch);
    }

    /// <summary>Forward (and R-forward when v is given), then loss, then backward for the gradient and/or hv.</summary>
    private void Run(TensorView thetaView, Input input, TensorView lossView, TensorView gradView, TensorView vView, TensorView hvView)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        bool wantLoss = !lossView.IsNull, wantGrad = !gradView.IsNull, wantHvp = !hvView.IsNull;
        if (!wantLoss && !wantGrad && !wantHvp) return;
        if (wantHvp) EnsureHvpBuffers();
        int batch = input.Batch;
        ulong theta = thetaView.DevicePointer, v = vView.DevicePointer;

        // Forward: a_{l+1} = σ(a_l·W_l + b_l); the last layer's output is the logit z.
        // R-forward: ra_{l+1} = σ'·(a_l·V_l + ra_l·W_l + vb_l), ra_0 = 0; the last is rz.
        int pOff = 0;
        for (int l = 0; l < _layers; l++)
        {
            int nIn = _widths[l], nOut = _widths[l + 1];
            bool hidden = l < _layers - 1;
            ulong a = ActIn(l, input), outp = hidden ? _act[l + 1]!.View.DevicePointer : _z.View.DevicePointer;
            Gemm(false, false, nOut, batch, nIn, 1f, InstanceGemm.At(theta, pOff), nOut, Dimension, a, nIn, (long)batch * nIn, 0f, outp, nOut, (long)batch * nOut);
            BiasAct(batch, nOut, InstanceGemm.At(theta, pOff + nIn * nOut), outp, hidden);
            if (wantHvp)
            {
                ulong rout = hidden ? _ract![l + 1]!.View.DevicePointer : _rz!.View.DevicePointer;
                Gemm(false, false, nOut, batch, nIn, 1f, InstanceGemm.At(v, pOff), nOut, Dimension, a, nIn, (long)batch * nIn, 0f, rout, nOut, (long)batch * nOut);
                if (l > 0)
                    Gemm(false, false, nOut, batch, nIn, 1f, InstanceGemm.At(theta, pOff), nOut, Dimension, _ract![l]!.View.DevicePointer, nIn, (long)batch * nIn, 1f, rout, nOut, (long)batch * nOut);
                BiasActR(batch, nOut, InstanceGemm.At(v, pOff + nIn * nOut), hidden ? outp : 0, rout);
            }
            pOff += nIn * nOut + nOut;
        }
        if (wantLoss) Loss(batch, input.Y, theta, lossView.DevicePointer);
        if (!wantGrad && !wantHvp) return;

        // Backward: delta (and rdelta) of the logit, then per layer from the top:
        // ∂W = a_lᵀ·Δ, ∂b = Δᵀ·1; H_W = a_lᵀ·RΔ + ra_lᵀ·Δ, H_b = RΔᵀ·1;
        // E = Δ·W_lᵀ, RE = RΔ·W_lᵀ + Δ·V_lᵀ, then back through the sigmoid of layer l − 1.
        ulong grad = gradView.DevicePointer, hv = hvView.DevicePointer;
        var (cur, next) = (_d0, _d1);
        var (rcur, rnext) = (_r0, _r1);
        Output(batch, input.Y, wantHvp, cur, rcur);
        ulong ones = _ones.View.DevicePointer;
        const long broadcast = 0; // the ones vector's batch stride: every instance reads the same one
        for (int l = _layers - 1; l >= 0; l--)
        {
            int nIn = _widths[l], nOut = _widths[l + 1];
            pOff -= nIn * nOut + nOut;
            int bOff = pOff + nIn * nOut;
            ulong a = ActIn(l, input);
            ulong d = cur.View.DevicePointer;
            long sIn = (long)batch * nIn, sOut = (long)batch * nOut;
            if (wantGrad)
            {
                Gemm(false, true, nOut, nIn, batch, 1f, d, nOut, sOut, a, nIn, sIn, 0f, InstanceGemm.At(grad, pOff), nOut, Dimension);
                Gemm(false, false, nOut, 1, batch, 1f, d, nOut, sOut, ones, batch, broadcast, 0f, InstanceGemm.At(grad, bOff), nOut, Dimension);
            }
            if (wantHvp)
            {
                ulong rd = rcur!.View.DevicePointer;
                Gemm(false, true, nOut, nIn, batch, 1f, rd, nOut, sOut, a, nIn, sIn, 0f, InstanceGemm.At(hv, pOff), nOut, Dimension);
                if (l > 0)
                    Gemm(false, true, nOut, nIn, batch, 1f, d, nOut, sOut, _ract![l]!.View.DevicePointer, nIn, sIn, 1f, InstanceGemm.At(hv, pOff), nOut, Dimension);
                Gemm(false, false, nOut, 1, batch, 1f, rd, nOut, sOut, ones, batch, broadcast, 0f, InstanceGemm.At(hv, bOff), nOut, Dimension);
            }
            if (l == 0) break;
            ulong e = next.View.DevicePointer;
            Gemm(true, false, nIn, batch, nOut, 1f, InstanceGemm.At(theta, pOff), nOut, Dimension, d, nOut, sOut, 0f, e, nIn, sIn);
            ulong re = 0;
            if (wantHvp)
            {
                re = rnext!.View.DevicePointer;
                Gemm(true, false, nIn, batch, nOut, 1f, InstanceGemm.At(theta, pOff), nOut, Dimension, rcur!.View.DevicePointer, nOut, sOut, 0f, re, nIn, sIn);
                Gemm(true, false, nIn, batch, nOut, 1f, InstanceGemm.At(v, pOff), nOut, Dimension, d, nOut, sOut, 1f, re, nIn, sIn);
            }
            SigmoidBack((long)Count * batch * nIn, _act[l]!.View.DevicePointer, wantHvp ? _ract![l]!.View.DevicePointer : 0, e, re);
            (cur, next) = (next, cur);
            (rcur, rnext) = (rnext, rcur);
        }
        long n = (long)Count * Dimension;
        if (wantGrad) AddL2(n, theta, grad);
        if (wantHvp) AddL2(n, v, hv);
    }

    /// <summary>Layer l's input: the (gathered) data for l = 0, else the hidden activations.</summary>
    private ulong ActIn(int l, Input input) => l == 0 ? input.X : _act[l]!.View.DevicePointer;

    /// <summary>Column-major strided-batched GEMM over all instances.</summary>
    private void Gemm(bool ta, bool tb, int m, int n, int k, float alpha, ulong a, int lda, long sa, ulong b, int ldb, long sb,
        float beta, ulong c, int ldc, long sc)
        => InstanceGemm.Run(_backend.Blas, Count, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc);

    private void BiasAct(int batch, int nOut, ulong bias, ulong z, bool hidden)
    {
        long count = Count;
        int dim = Dimension, sigmoid = hidden ? 1 : 0;
        var args = stackalloc void*[] { &count, &batch, &nOut, &dim, &bias, &z, &sigmoid };
        _backend.Launch(_biasAct, _backend.GridFor(count * batch * nOut), Block, args);
    }

    private void BiasActR(int batch, int nOut, ulong vb, ulong a, ulong rz)
    {
        long count = Count;
        int dim = Dimension;
        var args = stackalloc void*[] { &count, &batch, &nOut, &dim, &vb, &a, &rz };
        _backend.Launch(_biasActR, _backend.GridFor(count * batch * nOut), Block, args);
    }

    private void Output(int batch, ulong y, bool wantHvp, DeviceBuffer delta, DeviceBuffer? rdelta)
    {
        long count = Count;
        ulong z = _z.View.DevicePointer, d = delta.View.DevicePointer;
        ulong rz = wantHvp ? _rz!.View.DevicePointer : 0, rd = wantHvp ? rdelta!.View.DevicePointer : 0;
        var args = stackalloc void*[] { &count, &batch, &z, &y, &rz, &d, &rd };
        _backend.Launch(_output, _backend.GridFor(count * batch), Block, args);
    }

    private void Loss(int batch, ulong y, ulong theta, ulong loss)
    {
        long count = Count;
        int dim = Dimension;
        float reg = _reg;
        ulong z = _z.View.DevicePointer;
        var args = stackalloc void*[] { &count, &batch, &dim, &reg, &z, &y, &theta, &loss };
        _backend.Launch(_loss, (uint)Math.Min(count, 65535), Block, args);
    }

    private void SigmoidBack(long n, ulong a, ulong ra, ulong e, ulong re)
    {
        var args = stackalloc void*[] { &n, &a, &ra, &e, &re };
        _backend.Launch(_sigmoidBack, _backend.GridFor(n), Block, args);
    }

    private void AddL2(long n, ulong src, ulong output)
    {
        float reg = _reg;
        var args = stackalloc void*[] { &n, &reg, &src, &output };
        _backend.Launch(_addL2, _backend.GridFor(n), Block, args);
    }

    private void EnsureHvpBuffers()
    {
        if (_rz != null) return;
        long perRow = (long)Count * Rows;
        var ract = new DeviceBuffer?[_layers];
        for (int l = 1; l < _layers; l++) ract[l] = Own(perRow * _widths[l]);
        _r0 = Own(perRow * _widest);
        _r1 = Own(perRow * _widest);
        _ract = ract;
        _rz = Own(perRow);
    }

    private DeviceBuffer Own(long length)
    {
        var b = _backend.Allocate(length);
        _owned.Add(b);
        return b;
    }

    private DeviceBuffer Upload(float[] data)
    {
        var b = Own(data.Length);
        _backend.CopyFromHost(data, b.View);
        return b;
    }

    private static TensorView Slice(DeviceBuffer b, long length) => TensorView.Device(b.View.DevicePointer, length);

    private void CheckEvaluate(TensorView theta, TensorView loss, TensorView gradient)
    {
        long n = (long)Count * Dimension;
        Require(theta, n, nameof(theta), false);
        Require(loss, Count, nameof(loss), true);
        Require(gradient, n, nameof(gradient), true);
    }

    private void CheckHvp(TensorView theta, TensorView v, TensorView hv)
    {
        long n = (long)Count * Dimension;
        Require(theta, n, nameof(theta), false);
        Require(v, n, nameof(v), false);
        Require(hv, n, nameof(hv), false);
    }

    private static void Require(TensorView t, long expected, string name, bool mayBeNone)
    {
        if (mayBeNone && t.IsNull) return;
        if (t.Location != MemoryLocation.CudaDevice)
            throw new ArgumentException($"'{name}' must be a CUDA device tensor, got {t.Location}.", name);
        if (t.IsNull || t.Length != expected)
            throw new ArgumentException($"'{name}' has {t.Length} floats{(t.IsNull ? " (null)" : "")}, the batch needs {expected}.", name);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var b in _owned) b.Dispose();
        _owned.Clear();
    }
}
