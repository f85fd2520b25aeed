using LearnedOpt.Data;

namespace LearnedOpt.Tasks;

/// <summary>
/// The float64 ConvNet of a <see cref="ConvNetShape"/>: loss, accuracy and exact gradient of the
/// mean softmax cross-entropy. Each image runs forward and backward on its own: a convolution is
/// im2col (rows (c_in, ky, kx), columns (y, x)) and a product with the [c_out, c_in·9] weights,
/// written as AXPYs along the image and four-lane dot products, whose order is fixed.
/// <para>
/// Max-pool ties: the window's first maximum in row-major order (top-left, top-right, bottom-left,
/// bottom-right) takes the output and the whole gradient, as in PyTorch; the ReLU's derivative at
/// 0 is 0. Rows are split into a fixed number of partitions that run in parallel, each summing its
/// rows in order into its own gradient, added in partition order: results do not depend on the core count.
/// </para>
/// </summary>
internal sealed class ConvNetwork
{
    private const int Partitions = 8;
    private const int Taps = ConvNetShape.Kernel * ConvNetShape.Kernel;

    private readonly ConvNetShape _shape;
    private readonly ThreadLocal<Workspace> _workspace;
    private readonly double[][][] _partitionGradients;

    public ConvNetwork(ConvNetShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        _shape = shape;
        _workspace = new ThreadLocal<Workspace>(() => new Workspace(shape));
        _partitionGradients = Enumerable.Range(0, Partitions).Select(_ => shape.Tensors.Select(t => new double[t.Length]).ToArray()).ToArray();
    }

    public ConvNetShape Shape => _shape;

    /// <summary>Throws unless <paramref name="tensors"/> matches the shape's tensors in count and lengths.</summary>
    public void CheckShapes(IReadOnlyList<double[]> tensors, string argument)
    {
        ArgumentNullException.ThrowIfNull(tensors, argument);
        var specs = _shape.Tensors;
        if (tensors.Count != specs.Count)
            throw new ArgumentException($"{argument} has {tensors.Count} tensors, the ConvNet has {specs.Count} ({string.Join(", ", specs.Select(t => t.Name))}).", argument);
        for (int i = 0; i < specs.Count; i++)
        {
            if (tensors[i] is null) throw new ArgumentNullException(argument, $"{argument}[{i}] ({specs[i].Name}) is null.");
            if (tensors[i].LongLength != specs[i].Length)
                throw new ArgumentException($"{argument}: tensor '{specs[i].Name}' has {tensors[i].Length} values, expected {specs[i].Length}.", argument);
        }
    }

    /// <summary>
    /// Mean cross-entropy over the given rows and how many are classified correctly (the first
    /// largest logit is the prediction); <paramref name="gradient"/>, when given, receives the gradient of that mean.
    /// </summary>
    public (double Loss, int Correct) Batch(IReadOnlyList<double[]> theta, LabeledDataset data, ReadOnlySpan<int> rows, IReadOnlyList<double[]>? gradient)
    {
        CheckData(data);
        if (rows.Length == 0) throw new ArgumentException("A batch needs at least one row.", nameof(rows));
        var indices = rows.ToArray();
        foreach (var r in indices)
            if ((uint)r >= (uint)data.Count) throw new ArgumentOutOfRangeException(nameof(rows), r, $"Row {r} is outside a split of {data.Count} rows.");
        lock (_partitionGradients)
            return Run(theta, data, indices.Length, i => indices[i], gradient, _partitionGradients);
    }

    /// <summary>As <see cref="Batch"/> over every row of <paramref name="data"/>.</summary>
    public (double Loss, int Correct) Full(IReadOnlyList<double[]> theta, LabeledDataset data, IReadOnlyList<double[]>? gradient)
    {
        CheckData(data);
        if (data.Count == 0) throw new ArgumentException("The split has no rows.", nameof(data));
        var grads = gradient == null ? null : Enumerable.Range(0, Partitions).Select(_ => _shape.Tensors.Select(t => new double[t.Length]).ToArray()).ToArray();
        return Run(theta, data, data.Count, i => i, gradient, grads);
    }

    private (double Loss, int Correct) Run(IReadOnlyList<double[]> theta, LabeledDataset data, int n, Func<int, int> row,
        IReadOnlyList<double[]>? gradient, double[][][]? partitionGradients)
    {
        var losses = new double[Partitions];
        var correct = new int[Partitions];
        double scale = 1.0 / n;
        Parallel.For(0, Partitions, p =>
        {
            int begin = (int)((long)n * p / Partitions), end = (int)((long)n * (p + 1) / Partitions);
            double[][]? g = null;
            if (gradient != null)
            {
                g = partitionGradients![p];
                foreach (var t in g) Array.Clear(t);
            }
            var ws = _workspace.Value!;
            for (int i = begin; i < end; i++)
            {
                int r = row(i);
                var (loss, right) = Image(theta, data.Row(r), data.Label(r), g, scale, ws);
                losses[p] += loss;
                if (right) correct[p]++;
            }
        });
        if (gradient != null)
        {
            foreach (var t in gradient) Array.Clear(t);
            for (int p = 0; p < Partitions; p++)
                for (int t = 0; t < gradient.Count; t++)
                    VectorMath.Axpy(1.0, partitionGradients![p][t], gradient[t]);
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

    // One image's loss; adds scale · its gradient into gradient when given.
    private (double Loss, bool Correct) Image(IReadOnlyList<double[]> theta, ReadOnlySpan<float> pixels, int label,
        IReadOnlyList<double[]>? gradient, double scale, Workspace ws)
    {
        var s = _shape;
        int blocks = s.Blocks;
        for (int i = 0; i < pixels.Length; i++) ws.Input[0][i] = pixels[i];

        for (int l = 0; l < blocks; l++)
        {
            int cin = s.Channels[l], cout = s.Channels[l + 1], h = s.Heights[l], w = s.Widths[l], p = h * w, k = cin * Taps;
            Im2Col(ws.Input[l], cin, h, w, ws.Cols[l]);
            var weights = theta[2 * l];
            var bias = theta[2 * l + 1];
            var a = ws.Activations[l];
            for (int co = 0; co < cout; co++)
            {
                var z = a.AsSpan(co * p, p);
                z.Fill(bias[co]);
                for (int j = 0; j < k; j++)
                {
                    double wj = weights[co * k + j];
                    if (wj != 0) VectorMath.Axpy(wj, ws.Cols[l].AsSpan(j * p, p), z);
                }
                for (int i = 0; i < p; i++) z[i] = z[i] > 0 ? z[i] : 0;
            }
            MaxPool(a, cout, h, w, ws.Input[l + 1], ws.Argmax[l]);
        }

        // Head and softmax cross-entropy.
        int classes = s.Classes, features = s.Features;
        var f = ws.Input[blocks];
        var hw = theta[2 * blocks];
        var hb = theta[2 * blocks + 1];
        var logits = ws.Logits;
        for (int c = 0; c < classes; c++) logits[c] = hb[c] + VectorMath.DotFourLanes(hw.AsSpan(c * features, features), f);
        double lse = SoftmaxCrossEntropy.LogSumExp(logits, out int arg);
        double loss = lse - logits[label];
        if (gradient == null) return (loss, arg == label);

        // Backward: δ = (softmax − one-hot)·scale at the logits.
        var df = ws.InputGrad[blocks];
        Array.Clear(df);
        var ghw = gradient[2 * blocks];
        var ghb = gradient[2 * blocks + 1];
        for (int c = 0; c < classes; c++)
        {
            double d = (Math.Exp(logits[c] - lse) - (c == label ? 1 : 0)) * scale;
            if (d == 0) continue;
            VectorMath.Axpy(d, f, ghw.AsSpan(c * features, features));
            ghb[c] += d;
            VectorMath.Axpy(d, hw.AsSpan(c * features, features), df);
        }

        for (int l = blocks - 1; l >= 0; l--)
        {
            int cin = s.Channels[l], cout = s.Channels[l + 1], h = s.Heights[l], w = s.Widths[l], p = h * w, k = cin * Taps;
            // Through the pool (each activation is in at most one window) and the ReLU.
            var dz = ws.ActivationGrad[l];
            Array.Clear(dz);
            var a = ws.Activations[l];
            var pooledGrad = ws.InputGrad[l + 1];
            var argmax = ws.Argmax[l];
            for (int i = 0; i < pooledGrad.Length; i++)
            {
                int at = argmax[i];
                if (a[at] > 0) dz[at] = pooledGrad[i];
            }
            var weights = theta[2 * l];
            var gw = gradient[2 * l];
            var gb = gradient[2 * l + 1];
            var cols = ws.Cols[l];
            for (int co = 0; co < cout; co++)
            {
                var d = dz.AsSpan(co * p, p);
                double sumD = 0;
                for (int i = 0; i < p; i++) sumD += d[i];
                gb[co] += sumD;
                for (int j = 0; j < k; j++) gw[co * k + j] += VectorMath.DotFourLanes(d, cols.AsSpan(j * p, p));
            }
            if (l == 0) break;
            var dcols = ws.ColsGrad[l];
            Array.Clear(dcols);
            for (int co = 0; co < cout; co++)
            {
                var d = dz.AsSpan(co * p, p);
                for (int j = 0; j < k; j++)
                {
                    double wj = weights[co * k + j];
                    if (wj != 0) VectorMath.Axpy(wj, d, dcols.AsSpan(j * p, p));
                }
            }
            Col2Im(dcols, cin, h, w, ws.InputGrad[l]);
        }
        return (loss, arg == label);
    }

    /// <summary>cols[(c·9 + ky·3 + kx)·HW + y·W + x] = input[c, y + ky − 1, x + kx − 1], 0 outside the image.</summary>
    internal static void Im2Col(ReadOnlySpan<double> input, int channels, int h, int w, Span<double> cols)
    {
        int p = h * w;
        for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++)
                {
                    var row = cols.Slice(((c * 3 + ky) * 3 + kx) * p, p);
                    for (int y = 0; y < h; y++)
                    {
                        int sy = y + ky - 1;
                        for (int x = 0; x < w; x++)
                        {
                            int sx = x + kx - 1;
                            row[y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? input[(c * h + sy) * w + sx] : 0;
                        }
                    }
                }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: input[c, y, x] = Σ over the taps that read it.</summary>
    internal static void Col2Im(ReadOnlySpan<double> cols, int channels, int h, int w, Span<double> input)
    {
        int p = h * w;
        input.Slice(0, channels * p).Clear();
        for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++)
                {
                    var row = cols.Slice(((c * 3 + ky) * 3 + kx) * p, p);
                    for (int y = 0; y < h; y++)
                    {
                        int sy = y + ky - 1;
                        if (sy < 0 || sy >= h) continue;
                        for (int x = 0; x < w; x++)
                        {
                            int sx = x + kx - 1;
                            if (sx >= 0 && sx < w) input[(c * h + sy) * w + sx] += row[y * w + x];
                        }
                    }
                }
    }

    /// <summary>2×2, stride-2 max-pool of [channels, h, w]; argmax gets the flat index of each output's first maximum.</summary>
    internal static void MaxPool(ReadOnlySpan<double> input, int channels, int h, int w, Span<double> output, Span<int> argmax)
    {
        int oh = h / 2, ow = w / 2;
        for (int c = 0; c < channels; c++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    int best = (c * h + 2 * oy) * w + 2 * ox;
                    double m = input[best];
                    // Strictly greater: a tie keeps the earlier position.
                    foreach (int at in (ReadOnlySpan<int>)[best + 1, best + w, best + w + 1])
                        if (input[at] > m) { m = input[at]; best = at; }
                    int o = (c * oh + oy) * ow + ox;
                    output[o] = m;
                    argmax[o] = best;
                }
    }

    private void CheckData(LabeledDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.FeatureCount != _shape.InputSize)
            throw new ArgumentException($"The data has {data.FeatureCount} features, the ConvNet takes {_shape.InputChannels}x{_shape.Height}x{_shape.Width} = {_shape.InputSize}.", nameof(data));
        if (data.ClassCount != _shape.Classes)
            throw new ArgumentException($"The data has {data.ClassCount} classes, the ConvNet outputs {_shape.Classes}.", nameof(data));
    }

    private sealed class Workspace
    {
        public Workspace(ConvNetShape s)
        {
            int b = s.Blocks;
            Input = Enumerable.Range(0, b + 1).Select(l => new double[s.Channels[l] * s.Heights[l] * s.Widths[l]]).ToArray();
            InputGrad = Enumerable.Range(0, b + 1).Select(l => new double[s.Channels[l] * s.Heights[l] * s.Widths[l]]).ToArray();
            Cols = Enumerable.Range(0, b).Select(l => new double[s.Channels[l] * Taps * s.Heights[l] * s.Widths[l]]).ToArray();
            ColsGrad = Enumerable.Range(0, b).Select(l => new double[s.Channels[l] * Taps * s.Heights[l] * s.Widths[l]]).ToArray();
            Activations = Enumerable.Range(0, b).Select(l => new double[s.Channels[l + 1] * s.Heights[l] * s.Widths[l]]).ToArray();
            ActivationGrad = Enumerable.Range(0, b).Select(l => new double[s.Channels[l + 1] * s.Heights[l] * s.Widths[l]]).ToArray();
            Argmax = Enumerable.Range(0, b).Select(l => new int[s.Channels[l + 1] * s.Heights[l + 1] * s.Widths[l + 1]]).ToArray();
            Logits = new double[s.Classes];
        }

        /// <summary>Block l's input (index 0: the image; index Blocks: the head's features).</summary>
        public double[][] Input { get; }
        public double[][] InputGrad { get; }
        public double[][] Cols { get; }
        public double[][] ColsGrad { get; }

        /// <summary>Block l's convolution output after the ReLU, [c_out, h, w].</summary>
        public double[][] Activations { get; }
        public double[][] ActivationGrad { get; }
        public int[][] Argmax { get; }
        public double[] Logits { get; }
    }
}
