using LearnedOpt.Data;

namespace LearnedOpt.Tests.Data;

[Trait("tier", "cpu")]
public class ImageResizeTests
{
    [Fact]
    public void DownscaleOfALinearRampSamplesHalfPixelCentres()
    {
        // Bilinear interpolation reproduces a linear function exactly; 28 -> 8 samples input
        // coordinate (i + 0.5)·3.5 − 0.5 = 3.5i + 1.25, which never needs edge clamping.
        var src = new float[28 * 28];
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) src[y * 28 + x] = x + 100 * y;
        var dst = new float[64];
        ImageResize.Bilinear(src, 28, 28, dst, 8, 8);
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                Assert.Equal((3.5 * x + 1.25) + 100 * (3.5 * y + 1.25), dst[y * 8 + x], 1e-3);
    }

    [Fact]
    public void UpscaleClampsAtTheEdges()
    {
        // 2 -> 4 samples coordinates −0.25, 0.25, 0.75, 1.25: the outer two clamp to the edge pixels.
        var dst = new float[4];
        ImageResize.Bilinear([1f, 2f], 1, 2, dst, 1, 4);
        Assert.Equal([1f, 1.25f, 1.75f, 2f], dst);
    }

    [Fact]
    public void ConstantImageStaysConstantAndSameSizeIsIdentity()
    {
        var c = Enumerable.Repeat(0.7f, 28 * 28).ToArray();
        var d = new float[64];
        ImageResize.Bilinear(c, 28, 28, d, 8, 8);
        Assert.All(d, v => Assert.Equal(0.7f, v, 1e-6f));
        var src = Enumerable.Range(0, 25).Select(i => (float)i * i).ToArray();
        var same = new float[25];
        ImageResize.Bilinear(src, 5, 5, same, 5, 5);
        Assert.Equal(src, same);
    }

    [Fact]
    public void WrongBufferSizesAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageResize.Bilinear(new float[10], 3, 3, new float[4], 2, 2));
        Assert.Equal("source", e.ParamName);
    }
}
