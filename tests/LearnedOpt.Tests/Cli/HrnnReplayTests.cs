using LearnedOpt.IO;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tensors;
using LearnedOpt.Tests.Hrnn;

namespace LearnedOpt.Tests.Cli;

/// <summary>
/// Issue 4's acceptance: `lopt replay --optimizer hrnn` against the independent double-precision
/// reference of docs/hrnn.md over 24 steps, the whole trajectory and the final state (docs/hrnn.md accuracy target).
/// </summary>
[Collection(CliCollection.Name)]
[Trait("tier", "cpu")]
public sealed class HrnnReplayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lopt-hrnn-replay").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string F(string name) => Path.Combine(_dir, name);

    [Fact]
    public void ReplayReproducesTheReferenceTrajectoryAndFinalState()
    {
        const int steps = 24;
        long[] lengths = [7, 33 * 17, 1];
        string[] names = ["b", "layer/w", "s"];
        long[][] shapes = [[7], [33, 17], [1]];
        var weights = HrnnTestData.Exercised(21);
        weights.Save(F("w.safetensors"));
        var theta = HrnnTestData.RandomParameters(lengths, 8);
        SafeTensorsFile.Write(F("p.safetensors"), names.Select((n, k) => SafeTensor.FromFloats(n, shapes[k], theta[k])));
        var grads = new List<float[][]>();
        var gradTensors = new List<SafeTensor>();
        for (int t = 1; t <= steps; t++)
        {
            var g = HrnnTestData.Gradients(lengths, t, 17);
            grads.Add(g);
            for (int k = 0; k < lengths.Length; k++) gradTensors.Add(SafeTensor.FromFloats($"{names[k]}/{t}", shapes[k], g[k]));
        }
        SafeTensorsFile.Write(F("g.safetensors"), gradTensors);

        var (exit, _, err) = CliRunner.Run("replay", "--optimizer", "hrnn", "--weights", F("w.safetensors"), "--params", F("p.safetensors"),
            "--grads", F("g.safetensors"), "--out", F("u.safetensors"), "--state-out", F("s.safetensors"), "--backend", "cpu");
        Assert.True(exit == 0, err);

        var reference = new HrnnReference(weights, lengths, HrnnOptimizer.DefaultInitialLogLr);
        var u = SafeTensorsFile.Read(F("u.safetensors"));
        var before = theta;
        for (int t = 1; t <= steps; t++)
        {
            var expected = reference.Step(grads[t - 1]);
            var after = names.Select(n => u.Get($"{n}/{t}").ToFloats()).ToArray();
            for (int k = 0; k < lengths.Length; k++)
                HrnnTestData.AssertUpdate($"step {t} {names[k]}", before[k], after[k], expected[k]);
            before = after;
        }

        // The final state file, loaded into an optimizer, matches the reference's state.
        using var backend = new LearnedOpt.Backends.CpuBackend();
        using var opt = new HrnnOptimizer(backend, names.Select((n, k) => new TensorSpec(n, shapes[k])).ToList(), weights);
        opt.LoadState(F("s.safetensors"));
        HrnnTestData.AssertStateMatches(opt, reference, "final state file");
    }
}
