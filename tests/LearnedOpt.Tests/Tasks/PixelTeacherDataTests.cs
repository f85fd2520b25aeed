using LearnedOpt.Tasks;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

[Trait("tier", "cpu")]
public class PixelTeacherDataTests
{
    [Fact]
    public void ImagesAreNonNegativeWithAnEmptyBorderAndEveryClassOccurs()
    {
        const int side = 28, rows = 2000;
        var data = PixelTeacherData.Generate(rows, side, 10, 3);
        var f = data.Features;
        Assert.All(f.ToArray(), v => Assert.InRange(v, 0f, 1f));
        // Blobs are centred in the middle 40% of the frame: the outermost two rings are mostly zero, the centre almost never.
        int border = 0, borderZero = 0, centre = 0, centreZero = 0;
        for (int r = 0; r < rows; r++)
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                {
                    bool zero = f[r * side * side + y * side + x] == 0;
                    if (y >= 12 && y < 16 && x >= 12 && x < 16) { centre++; if (zero) centreZero++; }
                    if (y >= 2 && y < side - 2 && x >= 2 && x < side - 2) continue;
                    border++;
                    if (zero) borderZero++;
                }
        Assert.True(borderZero > 0.6 * border, $"{borderZero}/{border} border pixels are zero");
        Assert.True(centreZero < 0.05 * centre, $"{centreZero}/{centre} centre pixels are zero");
        var counts = new int[10];
        for (int r = 0; r < rows; r++) counts[data.Label(r)]++;
        Assert.All(counts, c => Assert.True(c > 0, string.Join(",", counts)));
        Assert.True(counts.Max() < 0.6 * rows, string.Join(",", counts));
    }

    [Fact]
    public void TheSeedFixesTheDataAndDifferentSeedsDiffer()
    {
        var a = PixelTeacherData.Generate(50, 28, 10, 5);
        var b = PixelTeacherData.Generate(50, 28, 10, 5);
        var c = PixelTeacherData.Generate(50, 28, 10, 6);
        Assert.Equal(a.Features.ToArray(), b.Features.ToArray());
        Assert.NotEqual(a.Features.ToArray(), c.Features.ToArray());
    }

    [Fact]
    public void TheMlpTasksAreRegisteredAndNotHeldOut()
    {
        var e = TaskRegistry.Get("pixel-teacher-mlp-64-32");
        Assert.False(e.HeldOut);
        Assert.Equal(784L * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10, e.ParameterCount);
    }
}
