namespace LearnedOpt.Data;

/// <summary>
/// Finds the Fashion-MNIST IDX files: the directory in <c>LOPT_FASHION_MNIST_DIR</c> first, then
/// where the Debian package <c>dataset-fashion-mnist</c> installs them.
/// </summary>
public static class FashionMnistLocator
{
    public const string EnvironmentVariable = "LOPT_FASHION_MNIST_DIR";
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";
    public const string InstallHint = "install it with 'apt-get install dataset-fashion-mnist' (Debian/Ubuntu) or set " + EnvironmentVariable + " to a directory holding the four IDX files";

    /// <summary>The four files, gzip-compressed as distributed (an uncompressed copy without .gz is accepted too).</summary>
    public static readonly string[] FileNames =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>The dataset directory, or null when neither place holds all four files.</summary>
    public static string? TryFind(out string why) => TryFind(Environment.GetEnvironmentVariable(EnvironmentVariable), DebianDirectory, out why);

    /// <summary>The search with the variable's value and the package directory given (tests use it).</summary>
    public static string? TryFind(string? env, string debianDirectory, out string why)
    {
        if (!string.IsNullOrEmpty(env))
        {
            var missing = Missing(env);
            why = missing == null ? $"{EnvironmentVariable}={env}" : $"{EnvironmentVariable}={env} lacks {missing}";
            // An explicit setting that is wrong is reported, not silently replaced by the Debian copy.
            return missing == null ? Path.GetFullPath(env) : null;
        }
        var debian = Missing(debianDirectory);
        why = debian == null ? debianDirectory : $"{debianDirectory} lacks {debian}";
        return debian == null ? debianDirectory : null;
    }

    /// <summary>The dataset directory; throws <see cref="FileNotFoundException"/> saying how to get the data.</summary>
    public static string Find() => Find(Environment.GetEnvironmentVariable(EnvironmentVariable), DebianDirectory);

    public static string Find(string? env, string debianDirectory)
        => TryFind(env, debianDirectory, out var why) ?? throw new FileNotFoundException($"Fashion-MNIST was not found ({why}): {InstallHint}.");

    /// <summary>The path of one of <see cref="FileNames"/> in <paramref name="directory"/> (.gz preferred).</summary>
    public static string? FilePath(string directory, string name)
    {
        var gz = Path.Combine(directory, name + ".gz");
        if (File.Exists(gz)) return gz;
        var plain = Path.Combine(directory, name);
        return File.Exists(plain) ? plain : null;
    }

    private static string? Missing(string directory)
        => FileNames.FirstOrDefault(n => FilePath(directory, n) == null) is { } n ? n + ".gz" : null;
}
