using LearnedOpt.Backends;
using LearnedOpt.Data;
using LearnedOpt.Optimizers;
using LearnedOpt.Tasks;
using LearnedOpt.Training;

namespace LearnedOpt.Tests.Data;

/// <summary>Training through the CUDA backend follows the CPU run (same float32 optimizer math); skipped without a GPU.</summary>
[Trait("tier", "gpu")]
public class TaskTrainerCudaTests
{
    private static float[][] Train(BackendChoice choice, ITask task, OptimizerKind kind)
    {
        using var backend = BackendSelector.Create(choice, out _);
        using var opt = OptimizerFactory.Create(kind, backend, task.Parameters, HyperParameters.Defaults(kind) with { Lr = 1e-2f });
        return TaskTrainer.Run(task, opt, seed: 2, steps: 30).FinalParameters;
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.RmsProp)]
    public void CudaRunMatchesCpuRun(OptimizerKind kind)
    {
        Assert.SkipUnless(CudaProbe.IsUsable(out var why), $"no usable CUDA device: {why}");
        var mlp = new MlpClassificationTask("mlp", SyntheticData.Random(300, 16, 4, 1), SyntheticData.Random(50, 16, 4, 2), [8],
            MlpActivation.Relu, MlpInitialization.TruncatedNormalFanIn, new EpochBatchSchedule(300, 32));
        foreach (ITask task in new ITask[] { new L2oQuadraticTask(1), mlp })
        {
            var cpu = Train(BackendChoice.Cpu, task, kind);
            var gpu = Train(BackendChoice.Cuda, task, kind);
            for (int t = 0; t < cpu.Length; t++)
                for (int i = 0; i < cpu[t].Length; i++)
                    Assert.True(Math.Abs(cpu[t][i] - gpu[t][i]) <= 1e-4f * Math.Max(1f, Math.Abs(cpu[t][i])),
                        $"{task.Name} {task.Parameters[t].Name}[{i}]: cpu {cpu[t][i]} vs cuda {gpu[t][i]}");
        }
    }
}
