using LearnedOpt.IO;
using LearnedOpt.Tests.Cli;

namespace LearnedOpt.Tests.Celo;

/// <summary><c>lopt replay --optimizer celo</c> against the float64 reference, and its refusals.</summary>
[Trait("tier", "cpu")]
[Collection(CliCollection.Name)]
public class CeloReplayCliTests
{
    [Fact]
    public void ReplayMatchesTheReferenceAndNeedsTheLosses()
    {
        var dir = Directory.CreateTempSubdirectory("celo-replay-");
        try
        {
            var values = CeloTestData.RandomWeights(40);
            var weights = Path.Combine(dir.FullName, "w.safetensors");
            LearnedOpt.Optimizers.Celo.CeloWeights.FromValues(values).Save(weights);
            var specs = CeloRun.MixedSpecs();
            var p0 = CeloRun.Params(specs, 40);
            const int steps = 4;
            var grads = Enumerable.Range(0, steps).Select(t => CeloRun.Grads(specs, 40, t)).ToList();
            float[] losses = [3f, 2.5f, 2.6f, 2f];
            string P = Path.Combine(dir.FullName, "p.safetensors"), G = Path.Combine(dir.FullName, "g.safetensors"),
                   L = Path.Combine(dir.FullName, "l.safetensors"), U = Path.Combine(dir.FullName, "u.safetensors");
            SafeTensorsFile.Write(P, specs.Select((s, k) => SafeTensor.FromFloats(s.Name, s.Shape, p0[k])));
            SafeTensorsFile.Write(G, Enumerable.Range(0, steps).SelectMany(t => specs.Select((s, k) => SafeTensor.FromFloats($"{s.Name}/{t + 1}", s.Shape, grads[t][k]))));
            SafeTensorsFile.Write(L, [SafeTensor.FromFloats("loss", [steps], losses)]);

            var (exit, _, err) = CliRunner.Run("replay", "--optimizer", "celo", "--weights", weights, "--params", P, "--grads", G, "--losses", L,
                                               "--total-steps", "100", "--out", U, "--backend", "cpu");
            Assert.True(exit == 0, err);
            var u = SafeTensorsFile.Read(U);
            var reference = new CeloReference(values, specs.Select(s => s.Shape).ToList(), 100);
            var p = p0.Select(v => v.Select(x => (double)x).ToArray()).ToList();
            for (int t = 0; t < steps; t++)
            {
                var before = p.Select(v => (double[])v.Clone()).ToList();
                var delta = reference.Step(losses[t], p, grads[t].Select(v => v.Select(x => (double)x).ToArray()).ToList());
                for (int k = 0; k < specs.Count; k++)
                {
                    var got = u.Get($"{specs[k].Name}/{t + 1}").ToFloats();
                    var start = before[k].Select(x => (float)x).ToArray();
                    Assert.True(CeloRun.StepError(start, got, delta[k]) <= 1, $"step {t + 1}, tensor {specs[k].Name}");
                    p[k] = got.Select(x => (double)x).ToArray(); // continue from the replayed parameters
                }
            }

            var (noLoss, _, why) = CliRunner.Run("replay", "--optimizer", "celo", "--weights", weights, "--params", P, "--grads", G,
                                                 "--total-steps", "100", "--out", U, "--backend", "cpu");
            Assert.Equal(2, noLoss);
            Assert.Contains("--losses", why);
            var (noN, _, whyN) = CliRunner.Run("replay", "--optimizer", "celo", "--weights", weights, "--params", P, "--grads", G, "--losses", L,
                                               "--out", U, "--backend", "cpu");
            Assert.Equal(2, noN);
            Assert.Contains("total-steps", whyN);
            SafeTensorsFile.Write(L, [SafeTensor.FromFloats("loss", [steps + 1], new float[steps + 1])]);
            var (badShape, _, whyShape) = CliRunner.Run("replay", "--optimizer", "celo", "--weights", weights, "--params", P, "--grads", G, "--losses", L,
                                                        "--total-steps", "100", "--out", U, "--backend", "cpu");
            Assert.Equal(2, badShape);
            Assert.Contains($"[{steps}]", whyShape);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
