using LearnedOpt.Interop;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Cpu;

/// <summary>
/// The batched problem launchers of the CPU library (lopt_problems_abi.h, lopt_classifier_abi.h,
/// lopt_matmul_abi.h; OpenMP over instances) on host spans laid out instance-major. Outputs, and
/// v with hv, may be empty to skip them; an HVP call passes empty loss and gradient. Every length
/// is checked here, naming the argument, before native code sees a pointer.
/// </summary>
internal static unsafe class CpuProblems
{
    public static void EnsureLoaded()
    {
        CheckAbi("problems", LoptProblemsNative.lopt_problems_abi_version(), LoptProblemsNative.AbiVersion);
        CheckAbi("classifier", LoptClassifierNative.lopt_classifier_abi_version(), LoptClassifierNative.AbiVersion);
        CheckAbi("MatMul", LoptMatMulNative.lopt_matmul_abi_version(), LoptMatMulNative.AbiVersion);
    }

    /// <summary><paramref name="count"/> instances of a 2-D test function.</summary>
    public static void TestFunction(TestFunction function, int count, ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient, ReadOnlySpan<float> v, Span<float> hv)
    {
        Outputs(count, 2, theta, loss, gradient, v, hv);
        fixed (float* t = theta) fixed (float* l = loss) fixed (float* g = gradient) fixed (float* pv = v) fixed (float* phv = hv)
            CpuLibrary.Check(LoptProblemsNative.lopt_problems_testfn((int)function, count, t, l, g, pv, phv), "lopt_problems_testfn");
    }

    /// <summary>Bowls with their 2 × 2 matrices <paramref name="a"/> (count × 4).</summary>
    public static void Bowl(int count, ReadOnlySpan<float> a, ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient, ReadOnlySpan<float> v, Span<float> hv)
    {
        Need(a.Length, 4L * count, nameof(a));
        Outputs(count, 2, theta, loss, gradient, v, hv);
        fixed (float* pa = a) fixed (float* t = theta) fixed (float* l = loss) fixed (float* g = gradient) fixed (float* pv = v) fixed (float* phv = hv)
            CpuLibrary.Check(LoptProblemsNative.lopt_problems_bowl(count, pa, t, l, g, pv, phv), "lopt_problems_bowl");
    }

    /// <summary>Quadratics ‖W θ − y‖² of size <paramref name="n"/>: W count × n × n, y count × n.</summary>
    public static void Quadratic(int count, int n, ReadOnlySpan<float> w, ReadOnlySpan<float> y, ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient, ReadOnlySpan<float> v, Span<float> hv)
    {
        Dense(count, n, w, y);
        Outputs(count, n, theta, loss, gradient, v, hv);
        fixed (float* pw = w) fixed (float* py = y) fixed (float* t = theta) fixed (float* l = loss) fixed (float* g = gradient) fixed (float* pv = v) fixed (float* phv = hv)
            CpuLibrary.Check(LoptProblemsNative.lopt_problems_quadratic(count, n, pw, py, t, l, g, pv, phv), "lopt_problems_quadratic");
    }

    /// <summary>Norms ‖W θ − y‖_p^p of size <paramref name="n"/>: W count × n × n, y count × n.</summary>
    public static void Norm(int count, int n, float p, ReadOnlySpan<float> w, ReadOnlySpan<float> y, ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient, ReadOnlySpan<float> v, Span<float> hv)
    {
        Dense(count, n, w, y);
        Outputs(count, n, theta, loss, gradient, v, hv);
        fixed (float* pw = w) fixed (float* py = y) fixed (float* t = theta) fixed (float* l = loss) fixed (float* g = gradient) fixed (float* pv = v) fixed (float* phv = hv)
            CpuLibrary.Check(LoptProblemsNative.lopt_problems_norm(count, n, p, pw, py, t, l, g, pv, phv), "lopt_problems_norm");
    }

    /// <summary>The layout of a classifier batch: layer widths [d, …, 1], inputs (count × rows × d), labels (count × rows).</summary>
    public readonly ref struct ClassifierData(ReadOnlySpan<int> widths, ReadOnlySpan<float> x, ReadOnlySpan<float> labels, int rows, float l2)
    {
        public ReadOnlySpan<int> Widths { get; } = widths;
        public ReadOnlySpan<float> X { get; } = x;
        public ReadOnlySpan<float> Labels { get; } = labels;
        public int Rows { get; } = rows;
        public float L2 { get; } = l2;
    }

    /// <summary>
    /// Classifier loss and gradient on all rows (<paramref name="batchRows"/> empty) or on count × <paramref name="batch"/>
    /// minibatch rows, over parameters of <paramref name="dimension"/> floats per instance.
    /// </summary>
    public static void Classifier(int count, int dimension, ClassifierData data, ReadOnlySpan<int> batchRows, int batch,
                                  ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient)
    {
        Classifier(count, data, batchRows, batch);
        Outputs(count, dimension, theta, loss, gradient, default, default);
        fixed (int* w = data.Widths) fixed (float* x = data.X) fixed (float* y = data.Labels) fixed (int* r = batchRows)
        fixed (float* t = theta) fixed (float* l = loss) fixed (float* g = gradient)
            CpuLibrary.Check(LoptProblemsNative.lopt_problems_classifier(count, data.Widths.Length - 1, w, x, y, data.Rows, r, batch, data.L2, t, l, g), "lopt_problems_classifier");
    }

    /// <summary>The classifier's Hessian-vector product, on all rows or on minibatch rows (as <see cref="Classifier(int, int, ClassifierData, ReadOnlySpan{int}, int, ReadOnlySpan{float}, Span{float}, Span{float})"/>).</summary>
    public static void ClassifierHvp(int count, int dimension, ClassifierData data, ReadOnlySpan<int> batchRows, int batch,
                                     ReadOnlySpan<float> theta, ReadOnlySpan<float> v, Span<float> hv)
    {
        Classifier(count, data, batchRows, batch);
        Outputs(count, dimension, theta, default, default, v, hv);
        fixed (int* w = data.Widths) fixed (float* x = data.X) fixed (float* y = data.Labels) fixed (int* r = batchRows)
        fixed (float* t = theta) fixed (float* pv = v) fixed (float* phv = hv)
            CpuLibrary.Check(LoptClassifierNative.lopt_classifier_hvp(count, data.Widths.Length - 1, w, x, y, data.Rows, r, batch, data.L2, t, pv, phv), "lopt_classifier_hvp");
    }

    /// <summary>MatMulAlgorithm(n, k): parameters 2n²k per instance; outputs as the other problems.</summary>
    public static void MatMul(int count, int n, int k, ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient, ReadOnlySpan<float> v, Span<float> hv)
    {
        Outputs(count, checked(2 * n * n * k), theta, loss, gradient, v, hv);
        fixed (float* t = theta) fixed (float* l = loss) fixed (float* g = gradient) fixed (float* pv = v) fixed (float* phv = hv)
            CpuLibrary.Check(LoptMatMulNative.lopt_problems_matmul(count, n, k, t, l, g, pv, phv), "lopt_problems_matmul");
    }

    private static void CheckAbi(string part, int abi, int expected)
    {
        if (abi != expected)
            throw new InvalidOperationException($"liblopt_cpu.so has {part} ABI version {abi}, this assembly expects {expected}: rebuild the native library.");
    }

    private static void Dense(int count, int n, ReadOnlySpan<float> w, ReadOnlySpan<float> y)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        Need(w.Length, (long)count * n * n, nameof(w));
        Need(y.Length, (long)count * n, nameof(y));
    }

    private static void Classifier(int count, ClassifierData data, ReadOnlySpan<int> batchRows, int batch)
    {
        if (data.Widths.Length < 2) throw new ArgumentException($"A classifier needs at least 2 layer widths, got {data.Widths.Length}.", nameof(data));
        ArgumentOutOfRangeException.ThrowIfLessThan(data.Rows, 1, nameof(data));
        Need(data.X.Length, (long)count * data.Rows * data.Widths[0], "data.X");
        Need(data.Labels.Length, (long)count * data.Rows, "data.Labels");
        if (batchRows.IsEmpty) return;
        if (batch < 1 || batch > data.Rows) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"Batch must be in [1, {data.Rows}].");
        Need(batchRows.Length, (long)count * batch, nameof(batchRows));
    }

    // theta always; loss, gradient, v and hv either empty or of their full length, v and hv together.
    private static void Outputs(int count, int dimension, ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient, ReadOnlySpan<float> v, Span<float> hv)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        long n = (long)count * dimension;
        Need(theta.Length, n, nameof(theta));
        if (!loss.IsEmpty) Need(loss.Length, count, nameof(loss));
        if (!gradient.IsEmpty) Need(gradient.Length, n, nameof(gradient));
        if (v.IsEmpty != hv.IsEmpty) throw new ArgumentException($"'v' and 'hv' come together; got {v.Length} and {hv.Length} floats.", v.IsEmpty ? nameof(v) : nameof(hv));
        if (!v.IsEmpty) Need(v.Length, n, nameof(v));
        if (!hv.IsEmpty) Need(hv.Length, n, nameof(hv));
    }

    private static void Need(long actual, long expected, string name)
    {
        if (actual != expected) throw new ArgumentException($"'{name}' has {actual} values, {expected} are needed.", name);
    }
}
