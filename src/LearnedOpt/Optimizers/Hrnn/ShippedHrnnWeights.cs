namespace LearnedOpt.Optimizers.Hrnn;

/// <summary>
/// The learned-optimizer weights this project ships (the repository's weights/hrnn-default.safetensors),
/// embedded in the assembly so that an application needs no file from the repository.
/// </summary>
public static class ShippedHrnnWeights
{
    /// <summary>The file name the weights ship under, used in messages and errors.</summary>
    public const string FileName = "hrnn-default.safetensors";

    private const string Resource = "weights/" + FileName;
    private static readonly Lazy<HrnnWeights> Cached = new(Read);

    /// <summary>The shipped weights, parsed and validated once per process.</summary>
    public static HrnnWeights Load() => Cached.Value;

    private static HrnnWeights Read()
    {
        using var stream = typeof(ShippedHrnnWeights).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"The assembly has no embedded resource '{Resource}'; it was built without the shipped weights.");
        return HrnnWeights.Load(stream, $"shipped {FileName}");
    }
}
