using System.Diagnostics;
using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks;

namespace LearnedOpt.Training;

/// <summary>
/// Trains one task instance with one optimizer for a number of minibatch steps. The task computes
/// in float64 on the parameters widened from float32; the optimizer steps float32 parameters on
/// its backend. The seed fixes the initial point ("init" stream) and the batches ("batches" stream).
/// </summary>
public static class TaskTrainer
{
    /// <summary>Called after every step with (steps done, that step's loss).</summary>
    public delegate void StepCallback(long stepsDone, double loss);

    public static TrainingRun Run(ITask task, Optimizer optimizer, ulong seed, long steps, StepCallback? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (steps > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"At most {Array.MaxLength} steps are recorded.");
        var specs = task.Parameters;
        if (optimizer.Tensors.Count != specs.Count || optimizer.Tensors.Zip(specs).Any(p => p.First.Length != p.Second.Length))
            throw new ArgumentException($"The optimizer was built for other tensors than task '{task.Name}' has.", nameof(optimizer));

        var batches = new Rng(seed).Fork("batches");
        var hostParams = InitialParameters(task, seed);
        var theta = hostParams.Select(p => new double[p.Length]).ToArray();
        var grad = specs.Select(s => new double[s.Length]).ToArray();
        var hostGrads = specs.Select(s => new float[s.Length]).ToArray();

        var backend = optimizer.Backend;
        var paramBuffers = specs.Select(s => backend.Allocate(s.Length)).ToArray();
        var gradBuffers = specs.Select(s => backend.Allocate(s.Length)).ToArray();
        try
        {
            for (int i = 0; i < specs.Count; i++) backend.CopyFromHost(hostParams[i], paramBuffers[i].View);
            var paramViews = paramBuffers.Select(b => b.View).ToArray();
            var gradViews = gradBuffers.Select(b => b.View).ToArray();
            var losses = new double[steps];
            var clock = Stopwatch.StartNew();
            for (long step = 0; step < steps; step++)
            {
                for (int i = 0; i < specs.Count; i++)
                    for (int k = 0; k < theta[i].Length; k++) theta[i][k] = hostParams[i][k];
                double loss = task.TrainingLoss(theta, grad, batches, step);
                losses[step] = loss;
                for (int i = 0; i < specs.Count; i++)
                {
                    for (int k = 0; k < grad[i].Length; k++) hostGrads[i][k] = (float)grad[i][k];
                    backend.CopyFromHost(hostGrads[i], gradViews[i]);
                }
                optimizer.ObserveLoss((float)loss);
                optimizer.Step(paramViews, gradViews);
                for (int i = 0; i < specs.Count; i++) backend.CopyToHost(paramViews[i], hostParams[i]);
                onStep?.Invoke(step + 1, loss);
            }
            return new TrainingRun(losses, hostParams, optimizer.NonFiniteGradients, clock.Elapsed);
        }
        finally
        {
            foreach (var b in paramBuffers) b.Dispose();
            foreach (var b in gradBuffers) b.Dispose();
        }
    }

    /// <summary>
    /// The parameters a run with <paramref name="seed"/> starts from: a draw from the task's
    /// initial-point distribution ("init" stream), stored in float32 from the start so that the task
    /// sees exactly what the optimizer holds.
    /// </summary>
    public static float[][] InitialParameters(ITask task, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(task);
        var theta = task.SampleInitialPoint(new Rng(seed).Fork("init"));
        return theta.Select(t => Array.ConvertAll(t, v => (float)v)).ToArray();
    }

    /// <summary><see cref="InitialParameters"/> widened to float64, as tasks take them.</summary>
    public static double[][] InitialTheta(ITask task, ulong seed)
        => InitialParameters(task, seed).Select(p => Array.ConvertAll(p, v => (double)v)).ToArray();
}
