using LearnedOpt.Backends.Cpu;
using LearnedOpt.Backends;
using LearnedOpt.Tasks;
using LearnedOpt.Tasks.Batched;
using static LearnedOpt.Tests.Tasks.ConvNetBatchTestData;

namespace LearnedOpt.Tests.Tasks;

/// <summary>CPU batched ConvNets (lopt_convnet) against the float64 reference and against themselves.</summary>
[Trait("tier", "cpu")]
public class ConvNetBatchTests
{
    private const double Tolerance = 1e-4;

    [Theory]
    [MemberData(nameof(Entries), MemberType = typeof(ConvNetBatchTestData))]
    public void CpuBatchMatchesTheFloat64Reference(string entry)
    {
        var task = Task(entry);
        const int count = 4, batch = 8;
        using var cpu = new CpuConvNetBatch(task.Shape, task.Train, count);
        int dim = cpu.Dimension;
        var theta = Points(task, count, 11);
        var rows = Rows(task, count, batch, 12);
        var (loss, grad) = (new float[count], new float[count * dim]);
        cpu.EvaluateRows(theta, rows, batch, loss, grad);
        for (int k = 0; k < count; k++)
        {
            var reference = task.Parameters.Select(p => new double[p.Length]).ToArray();
            double expected = task.LossOnRows(Widen(task, theta, k), rows.AsSpan(k * batch, batch), reference);
            Close([loss[k]], [expected], Tolerance, $"{entry} loss {k}");
            Close(grad.AsSpan(k * dim, dim), reference.SelectMany(t => t).ToArray(), Tolerance, $"{entry} gradient {k}");
        }
    }

    [Fact]
    public void InstanceKOfABatchEqualsTheInstanceAloneBitForBit()
    {
        var task = Task("2x7x7-2-3");
        const int count = 5, batch = 6;
        using var all = new CpuConvNetBatch(task.Shape, task.Train, count);
        using var one = new CpuConvNetBatch(task.Shape, task.Train, 1);
        int dim = all.Dimension;
        var theta = Points(task, count, 21);
        var rows = Rows(task, count, batch, 22);
        var (loss, grad) = (new float[count], new float[count * dim]);
        all.EvaluateRows(theta, rows, batch, loss, grad);
        for (int k = 0; k < count; k++)
        {
            var (l1, g1) = (new float[1], new float[dim]);
            one.EvaluateRows(theta.AsSpan(k * dim, dim), rows.AsSpan(k * batch, batch), batch, l1, g1);
            Assert.Equal(BitConverter.SingleToInt32Bits(l1[0]), BitConverter.SingleToInt32Bits(loss[k]));
            Assert.Equal(g1, grad.AsSpan(k * dim, dim).ToArray());
        }
    }

    [Fact]
    public void LossOnlyAndGradientOnlyAgreeWithTheCombinedCall()
    {
        var task = Task("1x8x8-3-4");
        const int count = 3, batch = 8;
        using var cpu = new CpuConvNetBatch(task.Shape, task.Train, count);
        var theta = Points(task, count, 31);
        var rows = Rows(task, count, batch, 32);
        var (loss, grad) = (new float[count], new float[theta.Length]);
        cpu.EvaluateRows(theta, rows, batch, loss, grad);
        var (loss2, grad2) = (new float[count], new float[theta.Length]);
        cpu.EvaluateRows(theta, rows, batch, loss2, []);
        cpu.EvaluateRows(theta, rows, batch, [], grad2);
        Assert.Equal(loss, loss2);
        Assert.Equal(grad, grad2);
    }

    [Fact]
    public void TheFactoryPicksTheCpuKernelsOnTheCpuBackend()
    {
        var task = Task("1x8x8-3-4");
        using var backend = new CpuBackend();
        using var batch = ConvNetBatches.Create(backend, task.Shape, task.Train, 2);
        Assert.IsType<CpuConvNetBatch>(batch);
        Assert.Equal(task.Shape.ParameterCount, batch.Dimension);
    }

    [Fact]
    public void ThroughputHookMeasuresTrainingStepsOnTheCpu()
    {
        using var backend = new CpuBackend();
        double rate = BatchedThroughput.ConvNet(backend, Task("1x8x8-3-4"), instances: 3, iterations: 2);
        Assert.True(double.IsFinite(rate) && rate > 0, $"rate {rate}");
    }

    [Fact]
    public void BadArgumentsAreRejectedByName()
    {
        var task = Task("1x8x8-3-4");
        using var cpu = new CpuConvNetBatch(task.Shape, task.Train, 2);
        var theta = new float[2 * cpu.Dimension];
        Assert.Equal("batchRows", Assert.Throws<ArgumentOutOfRangeException>(() => cpu.EvaluateRows(theta, [0, 40], 1, [], [])).ParamName);
        Assert.Equal("batchRows", Assert.Throws<ArgumentException>(() => cpu.EvaluateRows(theta, [0, 1, 2], 1, [], [])).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => cpu.EvaluateRows(theta, [], 0, [], [])).ParamName);
        Assert.Equal("theta", Assert.Throws<ArgumentException>(() => cpu.EvaluateRows(theta.AsSpan(1), [0, 1], 1, [], [])).ParamName);
        Assert.Equal("loss", Assert.Throws<ArgumentException>(() => cpu.EvaluateRows(theta, [0, 1], 1, new float[3], [])).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => new CpuConvNetBatch(task.Shape, task.Train, 0)).ParamName);
        var other = new ConvNetShape(1, 6, 6, [2], 10);
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => new CpuConvNetBatch(other, task.Train, 1)).ParamName);
    }
}
