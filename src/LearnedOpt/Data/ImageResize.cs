namespace LearnedOpt.Data;

/// <summary>
/// Bilinear image resizing with the semantics of TensorFlow 2's <c>tf.image.resize</c>
/// (method "bilinear", antialias off, half-pixel centres, edge clamping), which
/// learned_optimization applies to Fashion-MNIST before dividing by 255.
/// </summary>
public static class ImageResize
{
    /// <summary>Resizes one single-channel row-major image.</summary>
    public static void Bilinear(ReadOnlySpan<float> source, int sourceHeight, int sourceWidth, Span<float> destination, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (source.Length != sourceHeight * sourceWidth)
            throw new ArgumentException($"source has {source.Length} pixels, not {sourceHeight}x{sourceWidth}.", nameof(source));
        if (destination.Length != height * width)
            throw new ArgumentException($"destination has {destination.Length} pixels, not {height}x{width}.", nameof(destination));
        for (int y = 0; y < height; y++)
        {
            var (y0, y1, fy) = Tap(y, sourceHeight, height);
            for (int x = 0; x < width; x++)
            {
                var (x0, x1, fx) = Tap(x, sourceWidth, width);
                float top = source[y0 * sourceWidth + x0] + (source[y0 * sourceWidth + x1] - source[y0 * sourceWidth + x0]) * fx;
                float bottom = source[y1 * sourceWidth + x0] + (source[y1 * sourceWidth + x1] - source[y1 * sourceWidth + x0]) * fx;
                destination[y * width + x] = top + (bottom - top) * fy;
            }
        }
    }

    // Half-pixel centres: output pixel i samples input coordinate (i + 0.5) * in/out - 0.5.
    private static (int Lo, int Hi, float Frac) Tap(int i, int inSize, int outSize)
    {
        float scale = (float)inSize / outSize;
        float c = (i + 0.5f) * scale - 0.5f;
        float floor = MathF.Floor(c);
        int lo = Math.Max((int)floor, 0);
        int hi = Math.Min((int)floor + 1, inSize - 1);
        float frac = c - floor;
        if (c < 0) { lo = 0; hi = 0; frac = 0; }
        return (lo, hi, frac);
    }
}
