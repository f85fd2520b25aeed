using LearnedOpt.Backends;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Benchmark hook for the lead: batched loss + gradient throughput in instance·parameters per
/// second (one unit = one parameter of one instance with its loss and gradient), timed the
/// backend's way (<see cref="IBackend.TimeMilliseconds"/>: CUDA events on the GPU); ConvNets in
/// instance training steps per second.
/// </summary>
public static class BatchedThroughput
{
    /// <summary>Quadratic(n) × <paramref name="instances"/> on <paramref name="backend"/> (CPU library or CUDA).</summary>
    public static double Quadratic(IBackend backend, int n, int instances, int iterations = 10, ulong seed = 0)
    {
        var tasks = Enumerable.Range(0, instances).Select(i => new QuadraticTask(n, new Rng(seed).Fork(i).Seed)).ToList();
        return Measure(backend, new QuadraticBatch(tasks), iterations, seed);
    }

    /// <summary>
    /// Instances of a synthetic classifier entry (e.g. "mlp-8-32x64", "logistic-256"), full-data
    /// loss and gradient by the backend's classifier kernels (the CPU library, or cuBLAS and
    /// classifier.cu on CUDA); instance i is built from seed i.
    /// </summary>
    public static double Classifier(IBackend backend, string entry, int instances, int iterations = 3)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var e = SyntheticCatalog.All.FirstOrDefault(x => x.Name == entry && (x.Family is "mlp" or "logistic"))
            ?? throw new ArgumentException($"'{entry}' is not a synthetic mlp or logistic entry.", nameof(entry));
        ArgumentOutOfRangeException.ThrowIfLessThan(instances, 1);
        var tasks = Enumerable.Range(0, instances).Select(i => (ClassifierTask)e.Build((ulong)i)).ToList();
        var batch = new ClassifierBatch(tasks);
        using var kernels = backend.Kernels.ClassifierBatch(batch);
        return OnBackend(backend, batch.Count, batch.Dimension, kernels.Evaluate, iterations, 0);
    }

    /// <summary>
    /// Training steps (loss and gradient with the entry's minibatches, noise, masks and wrappers) of
    /// <paramref name="instances"/> instances of any synthetic entry that has a batched problem
    /// (<see cref="BatchedProblems"/>) on <paramref name="backend"/>, at the entries' initial points;
    /// instance i is built from seed i. Each timed call is the next step, so stochastic parts vary.
    /// </summary>
    public static double TrainingSteps(IBackend backend, string entry, int instances, int iterations = 5)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfLessThan(instances, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var e = SyntheticCatalog.All.FirstOrDefault(x => x.Name == entry)
            ?? throw new ArgumentException($"'{entry}' is not a synthetic entry (see lopt tasks).", nameof(entry));
        var tasks = Enumerable.Range(0, instances).Select(i => e.Build((ulong)i)).ToList();
        var seeds = Enumerable.Range(0, instances).Select(i => (ulong)i).ToList();
        using var problem = BatchedProblems.TryCreate(backend, tasks, seeds)
            ?? throw new NotSupportedException($"'{entry}' has no batched problem on {backend.Kind}.");
        int dim = problem.Dimension;
        var theta = new float[(long)instances * dim];
        var x = new double[dim];
        for (int i = 0; i < instances; i++)
        {
            tasks[i].SampleInitial(new Rng((ulong)i).Fork("throughput"), x);
            for (int j = 0; j < dim; j++) theta[(long)i * dim + j] = (float)x[j];
        }
        using var t = backend.Allocate(theta.Length);
        using var l = backend.Allocate(instances);
        using var g = backend.Allocate(theta.Length);
        backend.CopyFromHost(theta, t.View);
        long step = 0;
        double ms = backend.TimeMilliseconds(() => problem.TrainingStep(t.View, step++, l.View, g.View), iterations);
        return (double)instances * dim / (ms / 1000);
    }

    /// <summary>
    /// Instance training steps per second (loss and gradient on a minibatch each) of
    /// <paramref name="instances"/> copies of <paramref name="task"/>'s ConvNet through
    /// <see cref="ConvNetBatches"/> on <paramref name="backend"/>, at the task's initial points;
    /// instance i draws its rows from <c>Rng(i)</c>, each timed call is the next step.
    /// </summary>
    public static double ConvNet(IBackend backend, ConvNetClassificationTask task, int instances, int iterations = 3)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentOutOfRangeException.ThrowIfLessThan(instances, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        using var batch = ConvNetBatches.Create(backend, task.Shape, task.Train, instances);
        int dim = batch.Dimension, b = task.BatchSize;
        var theta = new float[(long)instances * dim];
        for (int i = 0; i < instances; i++)
        {
            var x = task.SampleInitialPoint(new Rng((ulong)i).Fork("throughput")).SelectMany(v => v).ToArray();
            for (int j = 0; j < dim; j++) theta[(long)i * dim + j] = (float)x[j];
        }
        using var t = backend.Allocate(theta.Length);
        using var l = backend.Allocate(instances);
        using var g = backend.Allocate(theta.Length);
        backend.CopyFromHost(theta, t.View);
        long step = 0;
        var rows = new int[instances * b];
        double ms = backend.TimeMilliseconds(() =>
        {
            for (int i = 0; i < instances; i++) task.BatchRows(new Rng((ulong)i).Stream(step), step).CopyTo(rows, i * b);
            step++;
            batch.EvaluateRows(t.View, rows, b, l.View, g.View);
        }, iterations);
        return instances / (ms / 1000);
    }

    /// <summary>Throughput of any batch at seeded N(0,1) points on <paramref name="backend"/>.</summary>
    public static double Measure(IBackend backend, HostProblemBatch batch, int iterations = 10, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        using var kernels = backend.Kernels.ProblemBatch(batch);
        return OnBackend(backend, batch.Count, batch.Dimension, kernels.Evaluate, iterations, seed);
    }

    private static float[] Points(int count, int dimension, ulong seed)
    {
        var rng = new Rng(seed).Fork("throughput");
        var theta = new float[(long)count * dimension];
        for (int i = 0; i < theta.Length; i++) theta[i] = (float)rng.NextGaussian();
        return theta;
    }

    /// <summary>Times evaluate(theta, loss, gradient) on the backend's tensors at seeded N(0,1) points.</summary>
    private static double OnBackend(IBackend backend, int count, int dimension, Action<TensorView, TensorView, TensorView> evaluate, int iterations, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var theta = Points(count, dimension, seed);
        using var t = backend.Allocate(theta.Length);
        using var l = backend.Allocate(count);
        using var g = backend.Allocate(theta.Length);
        backend.CopyFromHost(theta, t.View);
        double ms = backend.TimeMilliseconds(() => evaluate(t.View, l.View, g.View), iterations);
        return (double)count * dimension / (ms / 1000);
    }
}
