using LearnedOpt.Data;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks;

/// <summary>
/// A fully connected classifier in float64: hidden layers with <see cref="MlpActivation"/>, a
/// linear output layer, softmax cross-entropy. Tensors are <c>layer{l}/w</c> of shape (in, out)
/// (so z = h·W + b) and <c>layer{l}/b</c> of shape (out). Rows are processed in chunks; full-split
/// passes run a fixed number of partitions in parallel and add them in order, so results do not
/// depend on the core count.
/// </summary>
internal sealed class MlpNetwork
{
    private const int ChunkRows = 128;
    private const int Partitions = 8;

    private readonly int[] _sizes;
    // Per-thread scratch, reused across calls: a training step must not allocate megabytes.
    private readonly ThreadLocal<Workspace> _workspace;

    public MlpNetwork(IReadOnlyList<int> layerSizes, MlpActivation activation)
    {
        ArgumentNullException.ThrowIfNull(layerSizes);
        if (layerSizes.Count < 2) throw new ArgumentException("An MLP needs an input and an output size.", nameof(layerSizes));
        foreach (var s in layerSizes)
            if (s < 1) throw new ArgumentException($"Layer size {s} in [{string.Join(", ", layerSizes)}] must be >= 1.", nameof(layerSizes));
        if (layerSizes[^1] < 2) throw new ArgumentException($"A classifier needs >= 2 outputs, not {layerSizes[^1]}.", nameof(layerSizes));
        _sizes = layerSizes.ToArray();
        _workspace = new ThreadLocal<Workspace>(() => new Workspace(_sizes));
        Activation = activation;
        var tensors = new List<TensorSpec>();
        for (int l = 0; l < LayerCount; l++)
        {
            tensors.Add(new TensorSpec($"layer{l}/w", [_sizes[l], _sizes[l + 1]]));
            tensors.Add(new TensorSpec($"layer{l}/b", [_sizes[l + 1]]));
        }
        Tensors = tensors;
    }

    public MlpActivation Activation { get; }
    public IReadOnlyList<int> Sizes => _sizes;
    public int LayerCount => _sizes.Length - 1;
    public IReadOnlyList<TensorSpec> Tensors { get; }

    /// <summary>Throws unless <paramref name="tensors"/> matches <see cref="Tensors"/> in count and lengths.</summary>
    public void CheckShapes(IReadOnlyList<double[]> tensors, string argument)
    {
        ArgumentNullException.ThrowIfNull(tensors, argument);
        if (tensors.Count != Tensors.Count)
            throw new ArgumentException($"{argument} has {tensors.Count} tensors, the MLP has {Tensors.Count} ({string.Join(", ", Tensors.Select(t => t.Name))}).", argument);
        for (int i = 0; i < Tensors.Count; i++)
        {
            if (tensors[i] is null) throw new ArgumentNullException(argument, $"{argument}[{i}] ({Tensors[i].Name}) is null.");
            if (tensors[i].LongLength != Tensors[i].Length)
                throw new ArgumentException($"{argument}: tensor '{Tensors[i].Name}' has {tensors[i].Length} values, expected {Tensors[i].Length}.", argument);
        }
    }

    /// <summary>
    /// Mean cross-entropy over the given rows and how many are classified correctly; when
    /// <paramref name="gradient"/> is given it receives the gradient of that mean (overwritten).
    /// </summary>
    public (double Loss, int Correct) Batch(IReadOnlyList<double[]> theta, LabeledDataset data, ReadOnlySpan<int> rows, IReadOnlyList<double[]>? gradient)
    {
        CheckData(data);
        if (rows.Length == 0) throw new ArgumentException("A batch needs at least one row.", nameof(rows));
        if (gradient != null) Clear(gradient);
        var ws = _workspace.Value!;
        double sum = 0;
        int correct = 0;
        for (int start = 0; start < rows.Length; start += ChunkRows)
        {
            var chunk = rows.Slice(start, Math.Min(ChunkRows, rows.Length - start));
            var (l, c) = Chunk(theta, data, chunk, gradient, 1.0 / rows.Length, ws);
            sum += l;
            correct += c;
        }
        return (sum / rows.Length, correct);
    }

    /// <summary>As <see cref="Batch"/> over every row of <paramref name="data"/>, in parallel.</summary>
    public (double Loss, int Correct) Full(IReadOnlyList<double[]> theta, LabeledDataset data, IReadOnlyList<double[]>? gradient)
    {
        CheckData(data);
        int n = data.Count;
        if (n == 0) throw new ArgumentException("The split has no rows.", nameof(data));
        var losses = new double[Partitions];
        var correct = new int[Partitions];
        var grads = gradient == null ? null : new double[Partitions][][];
        Parallel.For(0, Partitions, p =>
        {
            int begin = (int)((long)n * p / Partitions), end = (int)((long)n * (p + 1) / Partitions);
            double[][]? g = null;
            if (grads != null) g = grads[p] = Tensors.Select(t => new double[t.Length]).ToArray();
            var ws = _workspace.Value!;
            var idx = new int[ChunkRows];
            for (int start = begin; start < end; start += ChunkRows)
            {
                int count = Math.Min(ChunkRows, end - start);
                for (int i = 0; i < count; i++) idx[i] = start + i;
                var (l, c) = Chunk(theta, data, idx.AsSpan(0, count), g, 1.0 / n, ws);
                losses[p] += l;
                correct[p] += c;
            }
        });
        if (gradient != null)
        {
            Clear(gradient);
            for (int p = 0; p < Partitions; p++)
                for (int t = 0; t < gradient.Count; t++)
                    VectorMath.Axpy(1.0, grads![p][t], gradient[t]);
        }
        double sum = 0;
        int right = 0;
        for (int p = 0; p < Partitions; p++)
        {
            sum += losses[p];
            right += correct[p];
        }
        return (sum / n, right);
    }

    // Summed loss of the rows; adds scale · d(summed loss)/dθ into gradient.
    private (double Loss, int Correct) Chunk(IReadOnlyList<double[]> theta, LabeledDataset data, ReadOnlySpan<int> rows, IReadOnlyList<double[]>? gradient, double scale, Workspace ws)
    {
        int n = rows.Length, L = LayerCount;
        var h = ws.Activations;
        for (int r = 0; r < n; r++)
        {
            var src = data.Row(rows[r]);
            var dst = h[0].AsSpan(r * _sizes[0], _sizes[0]);
            for (int i = 0; i < src.Length; i++) dst[i] = src[i];
        }

        for (int l = 0; l < L; l++)
        {
            int nin = _sizes[l], nout = _sizes[l + 1];
            var w = theta[2 * l];
            var b = theta[2 * l + 1];
            for (int r = 0; r < n; r++)
            {
                var z = h[l + 1].AsSpan(r * nout, nout);
                b.CopyTo(z);
                var x = h[l].AsSpan(r * nin, nin);
                for (int i = 0; i < nin; i++)
                    if (x[i] != 0) VectorMath.Axpy(x[i], w.AsSpan(i * nout, nout), z);
                if (l < L - 1) Activate(z);
            }
        }

        // Softmax cross-entropy; the output delta (softmax − one-hot)·scale goes to ws.Deltas[L].
        int classes = _sizes[L];
        double loss = 0;
        int correct = 0;
        var dOut = ws.Deltas[L];
        for (int r = 0; r < n; r++)
        {
            var z = h[L].AsSpan(r * classes, classes);
            int y = data.Label(rows[r]);
            double lse = SoftmaxCrossEntropy.LogSumExp(z, out int arg);
            loss += lse - z[y];
            if (arg == y) correct++;
            if (gradient != null)
            {
                var d = dOut.AsSpan(r * classes, classes);
                for (int k = 0; k < classes; k++) d[k] = Math.Exp(z[k] - lse) * scale;
                d[y] -= scale;
            }
        }
        if (gradient == null) return (loss, correct);

        for (int l = L - 1; l >= 0; l--)
        {
            int nin = _sizes[l], nout = _sizes[l + 1];
            var w = theta[2 * l];
            var gw = gradient[2 * l];
            var gb = gradient[2 * l + 1];
            for (int r = 0; r < n; r++)
            {
                var d = ws.Deltas[l + 1].AsSpan(r * nout, nout);
                var x = h[l].AsSpan(r * nin, nin);
                for (int i = 0; i < nin; i++)
                    if (x[i] != 0) VectorMath.Axpy(x[i], d, gw.AsSpan(i * nout, nout));
                VectorMath.Axpy(1.0, d, gb);
                if (l == 0) continue;
                // Back through the hidden activation; ReLU's zero outputs have zero derivative.
                var dx = ws.Deltas[l].AsSpan(r * nin, nin);
                for (int i = 0; i < nin; i++)
                {
                    double a = x[i];
                    double slope = Activation == MlpActivation.Relu ? (a > 0 ? 1 : 0) : a * (1 - a);
                    dx[i] = slope == 0 ? 0 : slope * VectorMath.Dot(w.AsSpan(i * nout, nout), d);
                }
            }
        }
        return (loss, correct);
    }

    private void Activate(Span<double> z)
    {
        if (Activation == MlpActivation.Relu)
        {
            for (int k = 0; k < z.Length; k++) z[k] = z[k] > 0 ? z[k] : 0;
        }
        else
        {
            for (int k = 0; k < z.Length; k++) z[k] = 1.0 / (1.0 + Math.Exp(-z[k]));
        }
    }

    private void CheckData(LabeledDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.FeatureCount != _sizes[0])
            throw new ArgumentException($"The data has {data.FeatureCount} features, the MLP takes {_sizes[0]}.", nameof(data));
        if (data.ClassCount != _sizes[^1])
            throw new ArgumentException($"The data has {data.ClassCount} classes, the MLP outputs {_sizes[^1]}.", nameof(data));
    }

    private static void Clear(IReadOnlyList<double[]> tensors)
    {
        foreach (var t in tensors) Array.Clear(t);
    }

    private sealed class Workspace(int[] sizes)
    {
        public double[][] Activations { get; } = sizes.Select(s => new double[ChunkRows * s]).ToArray();
        public double[][] Deltas { get; } = sizes.Select(s => new double[ChunkRows * s]).ToArray();
    }
}
