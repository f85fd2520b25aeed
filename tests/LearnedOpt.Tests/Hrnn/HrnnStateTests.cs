using LearnedOpt.Backends;
using LearnedOpt.IO;
using LearnedOpt.Optimizers;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tests.Hrnn;

/// <summary>The state contract (docs/hrnn.md, "Weight and state files"): export, import, initial state, rejection of bad files.</summary>
[Trait("tier", "cpu")]
public class HrnnStateTests
{
    private static readonly long[] Lengths = [6, 40];
    private static List<TensorSpec> Specs() => [new("net/w", [2, 3]), new("b", 40)];

    [Fact]
    public void InitialStateIsTheSpecs()
    {
        var w = HrnnWeightInit.Create(9);
        using var backend = new CpuBackend();
        using var opt = new HrnnOptimizer(backend, Specs(), w);
        var doc = new SafeTensorsFile.Document(opt.ExportState(), new Dictionary<string, string>());
        Assert.Equal(15, doc.Tensors.Count);
        var h = doc.Get("param/net/w/h");
        Assert.Equal([10L, 6L], h.Shape);
        var h0 = w.Get("cell/param/h0");
        var hv = h.ToFloats();
        for (int j = 0; j < 10; j++)
            for (int i = 0; i < 6; i++) Assert.Equal(h0[j], hv[j * 6 + i]);
        Assert.Equal([4L, 40L], doc.Get("param/b/v").Shape);
        Assert.All(doc.Get("param/b/m").ToFloats(), x => Assert.Equal(0f, x));
        Assert.All(doc.Get("param/b/decay_in").ToFloats(), x => Assert.Equal(0f, x));
        Assert.All(doc.Get("param/b/log_lr").ToFloats(), x => Assert.Equal((float)Math.Log(1e-4), x));
        Assert.Equal(w.Get("cell/tensor/h0"), doc.Get("tensor/net/w/h").ToFloats());
        Assert.Equal(w.Get("cell/global/h0"), doc.Get("global/h").ToFloats());
    }

    [Fact]
    public void SavedStateReloadedContinuesExactly()
    {
        var w = HrnnTestData.Exercised(2);
        var path = Path.Combine(Path.GetTempPath(), $"hrnn-state-{Guid.NewGuid():N}.safetensors");
        using var backend = new CpuBackend();
        try
        {
            var theta = HrnnTestData.RandomParameters(Lengths, 1);
            var reference = theta.Select(t => (float[])t.Clone()).ToArray();
            using (var a = new HrnnOptimizer(backend, Specs(), w))
            {
                for (int s = 1; s <= 5; s++) a.Step(theta, HrnnTestData.Gradients(Lengths, s, 3));
                a.SaveState(path);
            }
            var doc = SafeTensorsFile.Read(path);
            Assert.Equal("learnedopt-hrnn-state", doc.Metadata["format"]);

            var continued = theta.Select(t => (float[])t.Clone()).ToArray();
            using var b = new HrnnOptimizer(backend, Specs(), w);
            b.LoadState(path);
            var exported = b.ExportState();
            foreach (var t in exported) Assert.Equal(doc.Get(t.Name).Data, t.Data); // round trip is bit-exact

            // A fresh optimizer that loads the state steps exactly as the original would have.
            using var c = new HrnnOptimizer(backend, Specs(), w);
            for (int s = 1; s <= 5; s++) c.Step(reference, HrnnTestData.Gradients(Lengths, s, 3));
            for (int s = 6; s <= 8; s++)
            {
                var g = HrnnTestData.Gradients(Lengths, s, 3);
                b.Step(continued, g);
                c.Step(reference, g);
            }
            for (int k = 0; k < Lengths.Length; k++) Assert.Equal(reference[k], continued[k]);
        }
        finally { File.Delete(path); }
    }

    private static InvalidDataException Import(Func<List<SafeTensor>, List<SafeTensor>> edit)
    {
        using var backend = new CpuBackend();
        using var opt = new HrnnOptimizer(backend, Specs(), HrnnWeightInit.Create(1));
        var tensors = edit(opt.ExportState().ToList());
        var before = opt.ExportState();
        var e = Assert.Throws<InvalidDataException>(() => opt.ImportState(new SafeTensorsFile.Document(tensors, new Dictionary<string, string>()), "s.safetensors"));
        var after = opt.ExportState(); // a rejected import leaves the state as it was
        for (int i = 0; i < before.Count; i++) Assert.Equal(before[i].Data, after[i].Data);
        return e;
    }

    [Fact]
    public void BadStateFilesAreRejectedByName()
    {
        Assert.Contains("'param/b/log_lr' is missing", Import(t => t.Where(x => x.Name != "param/b/log_lr").ToList()).Message);
        Assert.Contains("unexpected tensor 'param/c/h'", Import(t => [.. t, SafeTensor.FromFloats("param/c/h", new float[3])]).Message);
        Assert.Contains("'tensor/b/h' has shape [19]", Import(t => t.Select(x => x.Name == "tensor/b/h" ? SafeTensor.FromFloats(x.Name, new float[19]) : x).ToList()).Message);
        Assert.Contains("'param/net/w/m' has shape [6, 4]", Import(t => t.Select(x => x.Name == "param/net/w/m" ? SafeTensor.FromFloats(x.Name, [6, 4], new float[24]) : x).ToList()).Message);
        Assert.Contains("'param/b/decay_ms'", Import(t => t.Select(x => x.Name == "param/b/decay_ms" ? SafeTensor.FromFloats(x.Name, Enumerable.Repeat(1.5f, 40).ToArray()) : x).ToList()).Message);
        Assert.Contains("'global/h'", Import(t => t.Select(x => x.Name == "global/h" ? SafeTensor.FromFloats(x.Name, Enumerable.Repeat(float.NaN, 20).ToArray()) : x).ToList()).Message);
    }

    [Fact]
    public void FactoryNeedsAWeightFileForHrnn()
    {
        using var backend = new CpuBackend();
        var e = Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(OptimizerKind.Hrnn, backend, Specs(), new HyperParameters()));
        Assert.Contains("weight file", e.Message);
        var path = Path.Combine(Path.GetTempPath(), $"hrnn-w-{Guid.NewGuid():N}.safetensors");
        try
        {
            HrnnWeightInit.Create(4).Save(path);
            using var opt = OptimizerFactory.Create(OptimizerKind.Hrnn, backend, Specs(), new HyperParameters(), path);
            Assert.IsType<HrnnOptimizer>(opt);
        }
        finally { File.Delete(path); }
    }
}
