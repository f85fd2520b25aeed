using System.Runtime.InteropServices;
using LearnedOpt.Backends;
using LearnedOpt.Cuda;
using LearnedOpt.Data;

using LearnedOpt.Tasks;
using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Backends.Cuda;

/// <summary>
/// Batched ConvNets on CUDA: the dataset uploaded once, each evaluation gathers the instances'
/// minibatches, then per block im2col, a cuBLAS strided-batched GEMM (batch = instances), bias +
/// ReLU and max-pool; the head is a GEMM and a softmax cross-entropy kernel; backward mirrors it
/// (GEMMs for the weight, bias and column gradients, gather kernels for pool/ReLU and col2im).
/// Elementwise kernels are native/kernels/convnet.cu, on the per-element functions of
/// lopt_convnet.h that the CPU launcher uses. No atomics and default cuBLAS math (no TF32):
/// repeated calls give the same bits.
/// <para>
/// Row-major per instance (N = batch·h·w of a block): columns [c_in·9][N], convolution outputs
/// [c_out][N], maps [batch][c][h][w], logits [batch][classes]. cuBLAS is column-major, so a
/// row-major r × c matrix is passed as the column-major c × r one (leading dimension c):
/// Z = W·cols is GEMM(N, N, m = N, n = c_out, k = 9c_in, cols, W); ∂W = ∂Z·colsᵀ is GEMM(T, N, 9c_in,
/// c_out, N, cols, ∂Z); ∂cols = Wᵀ·∂Z is GEMM(N, T, N, 9c_in, c_out, ∂Z, W); head logits = X·Hᵀ is
/// GEMM(T, N, classes, batch, F, H, X); ∂H = Δᵀ·X is GEMM(N, T, F, classes, batch, X, Δ);
/// ∂X = Δ·H is GEMM(N, N, F, batch, classes, H, Δ); bias gradients are products with a ones vector.
/// </para>
/// </summary>
internal sealed unsafe class CudaConvNetBatch : IConvNetBatch
{
    private const string File = "convnet.cu";
    private const int Block = 256; // LOPT_CNN_BLOCK in convnet.cu

    private readonly CudaBackend _backend;
    private readonly List<DeviceBuffer> _owned = [];
    private readonly DeviceBuffer _images, _labels;
    private readonly CudaFunction _gather, _im2col, _biasRelu, _pool, _xent, _loss, _poolBack, _col2im;
    private readonly long[] _wOff, _bOff;
    private readonly long _headW, _headB;
    private int _capacity; // the batch the work buffers below are sized for
    private DeviceBuffer? _idx, _yb, _ones, _logits, _delta, _terms, _dmapA, _dmapB, _dact, _dcols;
    private DeviceBuffer[] _maps = [], _cols = [], _act = [];
    private bool _disposed;

    public CudaConvNetBatch(CudaBackend backend, ConvNetShape shape, LabeledDataset data, int count)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ConvNetBatchChecks.Data(shape, data);
        _backend = backend;
        Shape = shape;
        Count = count;
        Rows = data.Count;
        Dimension = checked((int)shape.ParameterCount);
        _wOff = new long[shape.Blocks];
        _bOff = new long[shape.Blocks];
        long off = 0;
        for (int l = 0; l < shape.Blocks; l++)
        {
            _wOff[l] = off;
            off += (long)shape.Channels[l + 1] * shape.Channels[l] * 9;
            _bOff[l] = off;
            off += shape.Channels[l + 1];
        }
        _headW = off;
        _headB = off + (long)shape.Classes * shape.Features;

        _gather = backend.GetFunction(File, "lopt_cnn_gather");
        _im2col = backend.GetFunction(File, "lopt_cnn_im2col");
        _biasRelu = backend.GetFunction(File, "lopt_cnn_bias_relu");
        _pool = backend.GetFunction(File, "lopt_cnn_pool");
        _xent = backend.GetFunction(File, "lopt_cnn_xent");
        _loss = backend.GetFunction(File, "lopt_cnn_loss");
        _poolBack = backend.GetFunction(File, "lopt_cnn_pool_back");
        _col2im = backend.GetFunction(File, "lopt_cnn_col2im");
        try
        {
            _images = Upload(data.Features);
            _labels = Upload(ConvNetBatchChecks.Labels(data));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ConvNetShape Shape { get; }
    public int Count { get; }
    public int Dimension { get; }
    public int Rows { get; }

    public void EvaluateRows(TensorView theta, ReadOnlySpan<int> batchRows, int batch, TensorView loss, TensorView gradient)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long n = (long)Count * Dimension;
        Require(theta, n, nameof(theta), false);
        Require(loss, Count, nameof(loss), true);
        Require(gradient, n, nameof(gradient), true);
        ConvNetBatchChecks.Rows(batchRows, batch, Count, Rows);
        bool wantLoss = !loss.IsNull, wantGrad = !gradient.IsNull;
        if (!wantLoss && !wantGrad) return;
        Ensure(batch);
        var s = Shape;
        long count = Count, dim = Dimension;
        ulong th = theta.DevicePointer;

        // Gather the minibatches; the indices travel bit for bit in a float buffer.
        _backend.CopyFromHost(MemoryMarshal.Cast<int, float>(batchRows), TensorView.Device(_idx!.View.DevicePointer, batchRows.Length));
        {
            int size = s.InputSize, rows = Rows;
            ulong images = _images.View.DevicePointer, labels = _labels.View.DevicePointer, idx = _idx.View.DevicePointer;
            ulong xb = _maps[0].View.DevicePointer, yb = _yb!.View.DevicePointer;
            var args = stackalloc void*[] { &count, &batch, &size, &rows, &images, &labels, &idx, &xb, &yb };
            _backend.Launch(_gather, _backend.GridFor(count * batch * size), Block, args);
        }

        for (int l = 0; l < s.Blocks; l++)
        {
            int c = s.Channels[l], co = s.Channels[l + 1], h = s.Heights[l], w = s.Widths[l], k = c * 9;
            int nCols = checked(batch * h * w);
            ulong cols = _cols[l].View.DevicePointer, act = _act[l].View.DevicePointer;
            Launch(_im2col, count * k * nCols, batch, c, h, w, _maps[l].View.DevicePointer, cols);
            Gemm(false, false, nCols, co, k, cols, nCols, (long)k * nCols, InstanceGemm.At(th, _wOff[l]), k, dim, 0f, act, nCols, (long)co * nCols);
            BiasRelu(co, nCols, InstanceGemm.At(th, _bOff[l]), act);
            Launch(_pool, count * batch * co * (h / 2) * (w / 2), batch, co, h, w, act, _maps[l + 1].View.DevicePointer);
        }

        int classes = s.Classes, features = s.Features;
        ulong feat = _maps[s.Blocks].View.DevicePointer, logits = _logits!.View.DevicePointer;
        ulong delta = wantGrad ? _delta!.View.DevicePointer : 0, terms = _terms!.View.DevicePointer, y = _yb!.View.DevicePointer;
        Gemm(true, false, classes, batch, features, InstanceGemm.At(th, _headW), features, dim, feat, features, (long)batch * features, 0f, logits, classes, (long)batch * classes);
        {
            ulong hb = InstanceGemm.At(th, _headB);
            var args = stackalloc void*[] { &count, &batch, &classes, &dim, &hb, &y, &logits, &terms, &delta };
            _backend.Launch(_xent, _backend.GridFor(count * batch), Block, args);
        }
        if (wantLoss)
        {
            ulong l = loss.DevicePointer;
            var args = stackalloc void*[] { &count, &batch, &terms, &l };
            _backend.Launch(_loss, _backend.GridFor(count), Block, args);
        }
        if (!wantGrad) return;

        ulong g = gradient.DevicePointer, ones = _ones!.View.DevicePointer;
        const long broadcast = 0; // every instance reads the same ones vector
        Gemm(false, true, features, classes, batch, feat, features, (long)batch * features, delta, classes, (long)batch * classes, 0f, InstanceGemm.At(g, _headW), features, dim);
        Gemm(false, false, classes, 1, batch, delta, classes, (long)batch * classes, ones, batch, broadcast, 0f, InstanceGemm.At(g, _headB), classes, dim);
        var (dmap, dmapNext) = (_dmapA!, _dmapB!);
        Gemm(false, false, features, batch, classes, InstanceGemm.At(th, _headW), features, dim, delta, classes, (long)batch * classes, 0f, dmap.View.DevicePointer, features, (long)batch * features);
        for (int l = s.Blocks - 1; l >= 0; l--)
        {
            int c = s.Channels[l], co = s.Channels[l + 1], h = s.Heights[l], w = s.Widths[l], k = c * 9;
            int nCols = checked(batch * h * w);
            ulong act = _act[l].View.DevicePointer, cols = _cols[l].View.DevicePointer, dact = _dact!.View.DevicePointer;
            Launch(_poolBack, count * co * (long)nCols, batch, co, h, w, act, dmap.View.DevicePointer, dact);
            Gemm(true, false, k, co, nCols, cols, nCols, (long)k * nCols, dact, nCols, (long)co * nCols, 0f, InstanceGemm.At(g, _wOff[l]), k, dim);
            Gemm(true, false, co, 1, nCols, dact, nCols, (long)co * nCols, ones, nCols, broadcast, 0f, InstanceGemm.At(g, _bOff[l]), co, dim);
            if (l == 0) break;
            ulong dcols = _dcols!.View.DevicePointer;
            Gemm(false, true, nCols, k, co, dact, nCols, (long)co * nCols, InstanceGemm.At(th, _wOff[l]), k, dim, 0f, dcols, nCols, (long)k * nCols);
            Launch(_col2im, count * batch * c * (long)h * w, batch, c, h, w, dcols, dmapNext.View.DevicePointer);
            (dmap, dmapNext) = (dmapNext, dmap);
        }
    }

    /// <summary>A kernel of signature (count, batch, c, h, w, in, out) over <paramref name="total"/> elements.</summary>
    private void Launch(CudaFunction kernel, long total, int batch, int c, int h, int w, ulong input, ulong output)
    {
        long count = Count;
        var args = stackalloc void*[] { &count, &batch, &c, &h, &w, &input, &output };
        _backend.Launch(kernel, _backend.GridFor(total), Block, args);
    }

    /// <summary>A kernel of signature (count, batch, c, h, w, a, in, out) over <paramref name="total"/> elements.</summary>
    private void Launch(CudaFunction kernel, long total, int batch, int c, int h, int w, ulong a, ulong input, ulong output)
    {
        long count = Count;
        var args = stackalloc void*[] { &count, &batch, &c, &h, &w, &a, &input, &output };
        _backend.Launch(kernel, _backend.GridFor(total), Block, args);
    }

    private void BiasRelu(int cout, long n, ulong bias, ulong z)
    {
        long count = Count, dim = Dimension;
        var args = stackalloc void*[] { &count, &cout, &n, &dim, &bias, &z };
        _backend.Launch(_biasRelu, _backend.GridFor(count * cout * n), Block, args);
    }

    /// <summary>Work buffers for minibatches of <paramref name="batch"/> rows (reallocated when it grows).</summary>
    private void Ensure(int batch)
    {
        if (batch <= _capacity) return;
        foreach (var b in _owned.Where(b => b != _images && b != _labels).ToList())
        {
            _owned.Remove(b);
            b.Dispose();
        }
        var s = Shape;
        long count = Count;
        _maps = new DeviceBuffer[s.Blocks + 1];
        _cols = new DeviceBuffer[s.Blocks];
        _act = new DeviceBuffer[s.Blocks];
        long widestMap = 0, widestCols = 0, longest = batch;
        for (int l = 0; l <= s.Blocks; l++)
        {
            long map = (long)batch * s.Channels[l] * s.Heights[l] * s.Widths[l];
            _maps[l] = Own(count * map);
            widestMap = Math.Max(widestMap, map);
        }
        for (int l = 0; l < s.Blocks; l++)
        {
            long n = (long)batch * s.Heights[l] * s.Widths[l];
            _cols[l] = Own(count * s.Channels[l] * 9 * n);
            _act[l] = Own(count * s.Channels[l + 1] * n);
            widestMap = Math.Max(widestMap, s.Channels[l + 1] * n);
            widestCols = Math.Max(widestCols, s.Channels[l] * 9 * n);
            longest = Math.Max(longest, n);
        }
        _idx = Own(count * batch);
        _yb = Own(count * batch);
        _logits = Own(count * batch * s.Classes);
        _delta = Own(count * batch * s.Classes);
        _terms = Own(count * batch);
        _dmapA = Own(count * widestMap);
        _dmapB = Own(count * widestMap);
        _dact = Own(count * widestMap);
        _dcols = Own(count * widestCols);
        _ones = Upload(Enumerable.Repeat(1f, checked((int)longest)).ToArray());
        _capacity = batch;
    }

    /// <summary>C = A·B column-major for every instance (α = 1).</summary>
    private void Gemm(bool ta, bool tb, int m, int n, int k, ulong a, int lda, long sa, ulong b, int ldb, long sb, float beta, ulong c, int ldc, long sc)
        => InstanceGemm.Run(_backend.Blas, Count, ta, tb, m, n, k, 1f, a, lda, sa, b, ldb, sb, beta, c, ldc, sc);

    private DeviceBuffer Own(long length)
    {
        var b = _backend.Allocate(length);
        _owned.Add(b);
        return b;
    }

    private DeviceBuffer Upload(ReadOnlySpan<float> data)
    {
        var b = Own(data.Length);
        _backend.CopyFromHost(data, b.View);
        return b;
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
