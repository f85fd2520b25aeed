using LearnedOpt.Data;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks;
using LearnedOpt.Tests.Data;

namespace LearnedOpt.Tests.Tasks;

/// <summary>Small ConvNet tasks, float32 parameter points and minibatch rows shared by the CPU and GPU batch tests.</summary>
internal static class ConvNetBatchTestData
{
    public static TheoryData<string> Entries() => new("1x8x8-3-4", "2x7x7-2-3", "1x6x10-5", "3x9x9-4-2-3");

    public static ConvNetClassificationTask Task(string entry)
    {
        var parts = entry.Split('-');
        var dims = parts[0].Split('x').Select(int.Parse).ToArray();
        int[] channels = parts.Skip(1).Select(int.Parse).ToArray();
        var shape = new ConvNetShape(dims[0], dims[1], dims[2], channels, 10);
        var train = SyntheticData.Random(40, shape.InputSize, 10, 3);
        var test = SyntheticData.Random(5, shape.InputSize, 10, 4);
        return new ConvNetClassificationTask(entry, train, test, shape, new EpochBatchSchedule(train.Count, 8));
    }

    /// <summary>count instances' parameters (the task's init, one seed each), as float32, instance-major.</summary>
    public static float[] Points(ConvNetClassificationTask task, int count, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).SelectMany(_ => task.SampleInitialPoint(rng).SelectMany(t => t)).Select(v => (float)v).ToArray();
    }

    /// <summary>count × batch distinct-per-instance row indices.</summary>
    public static int[] Rows(ConvNetClassificationTask task, int count, int batch, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count * batch).Select(_ => rng.NextInt(task.Train.Count)).ToArray();
    }

    /// <summary>Instance k's tensors, widened exactly to float64.</summary>
    public static double[][] Widen(ConvNetClassificationTask task, ReadOnlySpan<float> theta, int k)
    {
        int dim = (int)task.Shape.ParameterCount, off = k * dim;
        var result = new double[task.Parameters.Count][];
        for (int t = 0; t < result.Length; t++)
        {
            result[t] = new double[task.Parameters[t].Length];
            for (int i = 0; i < result[t].Length; i++) result[t][i] = theta[off++];
        }
        return result;
    }

    /// <summary>|actual − expected| ≤ tol·max(|expected|, floor) per element, floor = 1e-2 of the instance's largest |expected|.</summary>
    public static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double tol, string what)
    {
        double largest = 0;
        foreach (var e in expected) largest = Math.Max(largest, Math.Abs(e));
        double floor = Math.Max(1e-2 * largest, 1e-30);
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = tol * Math.Max(Math.Abs(expected[i]), floor);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= bound, $"{what}[{i}]: {actual[i]} vs {expected[i]} (bound {bound:E2})");
        }
    }
}
