using LearnedOpt.IO;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Tests.Hrnn;

/// <summary>The weight-file contract (docs/hrnn.md, "Weight and state files") and the initialisation rules.</summary>
[Trait("tier", "cpu")]
public class HrnnWeightFileTests
{
    private static string TempFile() => Path.Combine(Path.GetTempPath(), $"hrnn-{Guid.NewGuid():N}.safetensors");

    [Theory]
    [InlineData(20, 20, 8349)]
    [InlineData(30, 20, 12079)]
    public void WeightCountMatchesTheSpec(int h1, int h2, long count)
        => Assert.Equal(count, HrnnWeightInit.Create(1, h1, h2).Count);

    [Fact]
    public void SaveLoadRoundTripKeepsEveryValueAndWritesTheMetadata()
    {
        var w = HrnnTestData.Exercised(7, 30, 20);
        var path = TempFile();
        try
        {
            w.Save(path);
            var doc = SafeTensorsFile.Read(path);
            Assert.Equal("learnedopt-hrnn", doc.Metadata["format"]);
            Assert.Equal("1", doc.Metadata["version"]);
            Assert.Equal(0, BitConverter.ToInt64(File.ReadAllBytes(path), 0) % 8);
            var back = HrnnWeights.Load(path);
            Assert.Equal((10, 30, 20), (back.H0, back.H1, back.H2));
            foreach (var (name, shape) in HrnnWeights.Layout(10, 30, 20))
            {
                Assert.Equal(shape, doc.Get(name).Shape);
                Assert.Equal(w.Get(name), back.Get(name));
            }
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void SameSeedSameBytesDifferentSeedDifferentWeights()
    {
        var a = SafeTensorsFile.Serialize(HrnnWeightInit.Create(42).ToTensors(), HrnnWeights.FileMetadata);
        var b = SafeTensorsFile.Serialize(HrnnWeightInit.Create(42).ToTensors(), HrnnWeights.FileMetadata);
        var c = SafeTensorsFile.Serialize(HrnnWeightInit.Create(43).ToTensors(), HrnnWeights.FileMetadata);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void InitialisationFollowsTheRules()
    {
        var w = HrnnWeightInit.Create(5, 30, 20);
        Assert.Equal(Enumerable.Repeat(2.2f, 20).Concat(new float[10]), w.Get("cell/param/b"));
        Assert.All(w.Get("cell/tensor/h0"), x => Assert.InRange(x, -1f, 1f));
        Assert.Equal([2.2f], w.Get("decay/input/b"));
        Assert.Equal([3.2f], w.Get("decay/scale/b"));
        Assert.Equal([3.2f], w.Get("lr/momentum_logit"));
        Assert.Equal([-1f], w.Get("lr/step_offset"));
        Assert.All(w.Get("readout/lr/w"), x => Assert.Equal(0f, x));
        Assert.All(w.Get("bias/tensor_from_global/b"), x => Assert.Equal(0f, x));
        // Standard deviations of the largest normal blocks: 0.5/sqrt(I+H) and 0.5/sqrt(rows).
        AssertSd(w.Get("cell/tensor/w_h"), 0.5 / Math.Sqrt(22 + 30), 0.1);
        AssertSd(w.Get("bias/tensor_from_global/w"), 0.5 / Math.Sqrt(20), 0.1);
        var ws = w.Get("readout/shortcut/w");
        Assert.All(ws, x => Assert.InRange(x, 0.25f - 0.25f, 0.25f + 0.25f)); // N(0.25, 0.05): 5 sd
    }

    private static void AssertSd(float[] v, double sd, double relTol)
    {
        double mean = v.Average(x => (double)x);
        double s = Math.Sqrt(v.Average(x => (x - mean) * (x - mean)));
        Assert.InRange(s, sd * (1 - relTol), sd * (1 + relTol));
        Assert.InRange(Math.Abs(mean), 0, 4 * sd / Math.Sqrt(v.Length));
    }

    private static List<SafeTensor> Tensors() => HrnnWeightInit.Create(3).ToTensors().ToList();

    private static InvalidDataException Rejected(List<SafeTensor> tensors)
    {
        var bytes = SafeTensorsFile.Serialize(tensors, HrnnWeights.FileMetadata);
        return Assert.Throws<InvalidDataException>(() => HrnnWeights.FromDocument(SafeTensorsFile.Parse(bytes, "w.safetensors"), "w.safetensors"));
    }

    [Fact]
    public void MissingTensorIsRejectedByName()
    {
        var t = Tensors();
        t.RemoveAll(x => x.Name == "bias/param_from_global/w");
        Assert.Contains("'bias/param_from_global/w' is missing", Rejected(t).Message);
    }

    [Fact]
    public void WrongShapeIsRejectedByName()
    {
        var t = Tensors();
        int i = t.FindIndex(x => x.Name == "cell/param/w_h");
        t[i] = SafeTensor.FromFloats("cell/param/w_h", [30, 10], t[i].ToFloats()); // transposed orientation
        var e = Rejected(t);
        Assert.Contains("'cell/param/w_h'", e.Message);
        Assert.Contains("[30, 10]", e.Message);
    }

    [Fact]
    public void ExtraTensorIsRejectedByName()
    {
        var t = Tensors();
        t.Add(SafeTensor.FromFloats("readout/attention/w", new float[10]));
        Assert.Contains("unexpected tensor 'readout/attention/w'", Rejected(t).Message);
    }

    [Fact]
    public void UnsupportedParamHiddenSizeIsRejectedClearly()
    {
        var t = Tensors();
        int i = t.FindIndex(x => x.Name == "readout/direction/w");
        t[i] = SafeTensor.FromFloats("readout/direction/w", new float[12]);
        var e = Rejected(t);
        Assert.Contains("H0 = 12", e.Message);
        Assert.Contains("readout/direction/w", e.Message);
    }

    [Fact]
    public void NonFiniteWeightIsRejectedByName()
    {
        var t = Tensors();
        int i = t.FindIndex(x => x.Name == "decay/scale/w");
        var v = t[i].ToFloats();
        v[3] = float.NaN;
        t[i] = SafeTensor.FromFloats("decay/scale/w", v);
        Assert.Contains("'decay/scale/w'", Rejected(t).Message);
    }

    [Fact]
    public void CorruptHeaderIsRejectedWithTheFileName()
    {
        var bytes = SafeTensorsFile.Serialize(Tensors(), HrnnWeights.FileMetadata);
        bytes[8] = (byte)'x'; // the header JSON no longer parses
        var path = TempFile();
        try
        {
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<InvalidDataException>(() => HrnnWeights.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("header", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ForeignFormatIsRejected()
    {
        var bytes = SafeTensorsFile.Serialize(Tensors(), new Dictionary<string, string> { ["format"] = "learnedopt-optimizer-state" });
        var e = Assert.Throws<InvalidDataException>(() => HrnnWeights.FromDocument(SafeTensorsFile.Parse(bytes, "x"), "x"));
        Assert.Contains("learnedopt-hrnn", e.Message);
    }
}
