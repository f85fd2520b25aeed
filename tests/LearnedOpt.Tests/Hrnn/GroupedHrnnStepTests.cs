using System.Runtime.InteropServices;
using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tests.Hrnn;

/// <summary>The grouped HRNN step (lopt_hrnn_step_grouped) against separate single-optimizer steps on the CPU library.</summary>
[Trait("tier", "cpu")]
public class GroupedHrnnStepTests
{
    /// <summary>Four groups: own weights, tensor sizes 1 and 4099 among others, an empty tensor.</summary>
    internal static readonly long[][] Lengths = [[1, 4099], [7], [33 * 17, 1, 0], [2, 5]];

    internal static List<IReadOnlyList<TensorSpec>> Specs(long[][] lengths)
        => lengths.Select((g, q) => (IReadOnlyList<TensorSpec>)g.Select((n, i) => new TensorSpec($"g{q}/t{i}", n)).ToList()).ToList();

    internal static HrnnWeights Weights(int group) => HrnnTestData.Exercised((ulong)(40 + group), 8, 6);

    /// <summary>Host tensors pinned for the whole test, with their views.</summary>
    internal sealed class Pinned
    {
        public Pinned(float[][] values)
        {
            Arrays = values.Select(v =>
            {
                var a = GC.AllocateArray<float>(v.Length, pinned: true);
                v.CopyTo(a, 0);
                return a;
            }).ToArray();
        }

        public float[][] Arrays { get; }

        public TensorView[] Views => Arrays.Select(View).ToArray();

        private static TensorView View(float[] a)
            => a.Length == 0 ? new TensorView(0, 0, MemoryLocation.Host) : new TensorView(Marshal.UnsafeAddrOfPinnedArrayElement(a, 0), a.Length, MemoryLocation.Host);

        public void Set(float[][] values)
        {
            for (int i = 0; i < values.Length; i++) values[i].CopyTo(Arrays[i], 0);
        }
    }

    internal static float[][] GroupGradients(long[] lengths, int step, int group)
    {
        var g = HrnnTestData.Gradients(lengths, step, (ulong)(7 + group));
        // Group 2 sees a NaN in its first tensor at step 3 and an overflowing entry at step 5.
        if (group == 2 && step == 3) g[0][100] = float.NaN;
        if (group == 2 && step == 5) g[1][0] = 3e18f;
        return g;
    }

    [Fact]
    public void GroupedStepEqualsSeparateStepsBitForBit()
    {
        using var cpu = new CpuBackend();
        var specs = Specs(Lengths);
        using var grouped = new GroupedHrnnStep(cpu, specs, 8, 6);
        var singles = new HrnnOptimizer[Lengths.Length];
        var singleTheta = new float[Lengths.Length][][];
        var all = new List<float[]>();
        for (int q = 0; q < Lengths.Length; q++)
        {
            grouped.SetWeights(q, Weights(q));
            grouped.Reset(q);
            singles[q] = new HrnnOptimizer(cpu, specs[q], Weights(q));
            singleTheta[q] = HrnnTestData.RandomParameters(Lengths[q], (ulong)q);
            all.AddRange(singleTheta[q].Select(t => (float[])t.Clone()));
        }
        var theta = new Pinned(all.ToArray());
        var grad = new Pinned(Lengths.SelectMany(g => g).Select(n => new float[n]).ToArray());
        try
        {
            for (int step = 1; step <= 8; step++)
            {
                var gs = Enumerable.Range(0, Lengths.Length).Select(q => GroupGradients(Lengths[q], step, q)).ToArray();
                grad.Set(gs.SelectMany(g => g).ToArray());
                grouped.Step(theta.Views, grad.Views);
                for (int q = 0; q < Lengths.Length; q++) singles[q].Step(singleTheta[q], gs[q]);
                AssertSame($"step {step}", singleTheta, theta.Arrays);
                Assert.Equal(singles.SelectMany(s => s.LastStepSkipped), grouped.LastStepSkipped);
            }
            for (int q = 0; q < Lengths.Length; q++)
                Assert.Equal(singles[q].ExportFlatState(), grouped.Export(q));
            Assert.Equal(singles.Sum(s => s.SkippedTensorSteps), grouped.SkippedTensorSteps);
            Assert.Equal(2, grouped.SkippedTensorSteps);
            Assert.Equal(singles.Sum(s => s.UnusableGradientEntries), grouped.UnusableGradientEntries);
        }
        finally
        {
            foreach (var s in singles) s.Dispose();
        }
    }

    [Fact]
    public void AMaskedGroupStaysAsItIsWhileTheOthersStep()
    {
        using var cpu = new CpuBackend();
        var specs = Specs(Lengths);
        using var grouped = new GroupedHrnnStep(cpu, specs, 8, 6);
        for (int q = 0; q < Lengths.Length; q++)
        {
            grouped.SetWeights(q, Weights(q));
            grouped.Reset(q);
        }
        var theta0 = Lengths.SelectMany((g, q) => HrnnTestData.RandomParameters(g, (ulong)q)).ToArray();
        var theta = new Pinned(theta0);
        var grad = new Pinned(Lengths.SelectMany((g, q) => GroupGradients(g, 1, q)).ToArray());
        grouped.Step(theta.Views, grad.Views);
        var before = theta.Arrays.Select(a => (float[])a.Clone()).ToArray();
        var state1 = grouped.Export(1);
        var state3 = grouped.Export(3);
        grad.Set(Lengths.SelectMany((g, q) => GroupGradients(g, 2, q)).ToArray());
        grouped.Step(theta.Views, grad.Views, [true, false, true, true]);
        Assert.Equal(state1, grouped.Export(1));
        Assert.NotEqual(state3, grouped.Export(3));
        Assert.Equal(before[2], theta.Arrays[2]);   // group 1's only tensor
        Assert.NotEqual(before[0], theta.Arrays[0]);
    }

    [Fact]
    public void StateMovesBetweenTheGroupedStepAndASingleOptimizer()
    {
        using var cpu = new CpuBackend();
        long[][] lengths = [[3, 40], [9]];
        var specs = Specs(lengths);
        using var grouped = new GroupedHrnnStep(cpu, specs, 8, 6);
        using var single = new HrnnOptimizer(cpu, specs[0], Weights(0));
        grouped.SetWeights(0, Weights(0));
        grouped.SetWeights(1, Weights(1));
        grouped.Reset(1);
        // The single optimizer runs two steps, then its state goes into group 0.
        var thetaSingle = HrnnTestData.RandomParameters(lengths[0], 3);
        for (int step = 1; step <= 2; step++) single.Step(thetaSingle, GroupGradients(lengths[0], step, 0));
        grouped.Import(0, single.ExportFlatState());
        Assert.Equal(single.ExportFlatState(), grouped.Export(0));
        var theta = new Pinned(thetaSingle.Append(new float[9]).ToArray());
        var grad = new Pinned(lengths.SelectMany(g => g).Select(n => new float[n]).ToArray());
        for (int step = 3; step <= 5; step++)
        {
            var g0 = GroupGradients(lengths[0], step, 0);
            grad.Set(g0.Append(GroupGradients(lengths[1], step, 1)[0]).ToArray());
            grouped.Step(theta.Views, grad.Views);
            single.Step(thetaSingle, g0);
            Assert.Equal(thetaSingle[0], theta.Arrays[0]);
            Assert.Equal(thetaSingle[1], theta.Arrays[1]);
        }
        // And back: group 0's state continues in a fresh single optimizer exactly.
        using var back = new HrnnOptimizer(cpu, specs[0], Weights(0));
        back.ImportFlatState(grouped.Export(0));
        Assert.Equal(single.ExportFlatState(), back.ExportFlatState());
    }

    [Fact]
    public void BadInputIsRejectedWithItsName()
    {
        using var cpu = new CpuBackend();
        var specs = Specs([[3], [4]]);
        using var grouped = new GroupedHrnnStep(cpu, specs, 8, 6);
        var none = Array.Empty<TensorView>();
        var e1 = Assert.Throws<ArgumentException>(() => grouped.Step(none, none));
        Assert.Contains("theta", e1.Message);
        var theta = new Pinned([new float[3], new float[4]]);
        var grad = new Pinned([new float[3], new float[4]]);
        Assert.Throws<InvalidOperationException>(() => grouped.Step(theta.Views, grad.Views));  // no weights yet
        grouped.SetWeights(0, Weights(0));
        Assert.Throws<InvalidOperationException>(() => grouped.Reset(1));
        var e2 = Assert.Throws<ArgumentException>(() => grouped.Import(0, new float[5]));
        Assert.Contains("expected", e2.Message);
        var bad = grouped.Export(0);
        bad[LoptHrnnRowBeta * 3] = 2f;  // decay_in outside [0, 1]
        Assert.Throws<ArgumentException>(() => grouped.Import(0, bad));
        Assert.Throws<ArgumentOutOfRangeException>(() => grouped.Export(2));
        Assert.Throws<ArgumentException>(() => grouped.SetWeights(1, HrnnTestData.Exercised(1, 20, 20)));
        Assert.Throws<ArgumentException>(() => new GroupedHrnnStep(cpu, [specs[0], []], 8, 6));
        grouped.SetWeights(1, Weights(1));
        var e3 = Assert.Throws<ArgumentException>(() => grouped.Step(theta.Views, grad.Views, [true]));
        Assert.Contains("active", e3.Message);
    }

    private const int LoptHrnnRowBeta = 18;

    private static void AssertSame(string when, float[][][] expected, float[][] got)
    {
        int i = 0;
        for (int q = 0; q < expected.Length; q++)
            for (int t = 0; t < expected[q].Length; t++, i++)
                Assert.True(expected[q][t].AsSpan().SequenceEqual(got[i]), $"{when}: group {q} tensor {t} differs from the single step");
    }
}
