using LearnedOpt.Backends;
using LearnedOpt.Tests.Cuda;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// GPU tier (skips without a device): every batched-wrapper case (catalog entries and nestings) on
/// CUDA, leaves from problems.cu, against the CPU library on the same inputs, seeds and steps. The
/// dense leaves sum in a different order on the GPU (warp reductions), so values agree to 1e-4 of
/// the instance's scale; the sparse masks come from the same seeds and must agree exactly.
/// </summary>
[Trait("tier", "gpu")]
public class BatchedWrapperCudaCatalogTests(CudaBackendFixture fixture) : IClassFixture<CudaBackendFixture>
{
    private static readonly CpuBackend Cpu = new();

    public static TheoryData<string> Cases() => BatchedWrapperCases.All();

    private static void SameValues(string what, int dim, (float[] Loss, float[] Grad) gpu, (float[] Loss, float[] Grad) cpu)
        => BatchedWrapperCudaTests.SameValues(what, dim, gpu, cpu);

    private static void Same(string what, int dim, float[] gpu, float[] cpu) => BatchedWrapperCudaTests.Same(what, dim, gpu, cpu);

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryWrapperCaseOnCudaMatchesTheCpu(string name)
    {
        var cuda = fixture.Backend;
        var tasks = BatchedWrapperCases.Tasks(name, 40);
        using var gpu = BatchedWrapperCases.Create(cuda, tasks);
        using var cpu = BatchedWrapperCases.Create(Cpu, tasks);
        var (theta, v) = BatchedWrapperCases.Points(tasks, 31);
        int dim = cpu.Dimension;
        SameValues(name + " evaluate", dim, BatchedWrapperHarness.Evaluate(gpu, theta), BatchedWrapperHarness.Evaluate(cpu, theta));
        Same(name + " Hv", dim, BatchedWrapperHarness.Hvp(gpu, theta, v), BatchedWrapperHarness.Hvp(cpu, theta, v));
        foreach (long step in new long[] { 0, 7, 123456 })
        {
            var g = BatchedWrapperHarness.TrainingStep(gpu, theta, step);
            var c = BatchedWrapperHarness.TrainingStep(cpu, theta, step);
            SameValues($"{name} training step {step}", dim, g, c);
            // Same seeds, same masks: an element is dropped on the GPU exactly where it is on the CPU.
            for (int i = 0; i < c.Grad.Length; i++)
                Assert.True((g.Grad[i] == 0) == (c.Grad[i] == 0), $"{name} step {step}: mask differs at {i} ({g.Grad[i]} vs {c.Grad[i]})");
            Same($"{name} training Hv {step}", dim, BatchedWrapperHarness.TrainingHvp(gpu, theta, step, v), BatchedWrapperHarness.TrainingHvp(cpu, theta, step, v));
        }
    }

}
