using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using LearnedOpt.IO;

namespace LearnedOpt.MetaTraining.Evaluation;

/// <summary>
/// The tuned baselines of <c>lopt eval</c>, kept in a JSON file: tuning Adam, RMSProp and SGD with
/// momentum on a grid costs far more than the learned optimizer's own runs and does not depend on its
/// weights, so evaluating new weights against a cache reruns only the learned optimizer. An entry is
/// keyed by everything its numbers depend on (task, horizon, seed counts, grid, baseline, engine
/// version); writes are atomic and a file that does not parse is refused with its path.
/// </summary>
public sealed class BaselineCache
{
    private readonly string _path;
    private readonly Dictionary<string, CachedBaseline> _entries;
    private readonly Lock _lock = new();

    private BaselineCache(string path, Dictionary<string, CachedBaseline> entries)
    {
        _path = path;
        _entries = entries;
    }

    /// <summary>Opens the cache at <paramref name="path"/>, empty when the file does not exist yet.</summary>
    public static BaselineCache Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) return new BaselineCache(path, []);
        try
        {
            var entries = JsonSerializer.Deserialize(File.ReadAllText(path), BaselineCacheJson.Default.DictionaryStringCachedBaseline)
                          ?? throw new InvalidDataException($"{path}: the baseline cache is empty (null).");
            foreach (var (key, e) in entries)
                if (e.FinalLog10 is not { Length: > 0 } || e.CurveLog10 is null || string.IsNullOrEmpty(e.Optimizer))
                    throw new InvalidDataException($"{path}: entry '{key}' is incomplete.");
            return new BaselineCache(path, entries);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a baseline cache ({e.Message}). Delete it to start afresh.", e);
        }
    }

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>The key of one tuned baseline on one task and horizon.</summary>
    public static string Key(string task, int steps, int seeds, int tuningSeeds, IReadOnlyList<double> grid, string baseline)
    {
        var g = string.Join(",", grid.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        return $"{task}|steps={steps}|seeds={seeds}|tuning={tuningSeeds}|grid={g}|{baseline}|engine={EngineVersion}";
    }

    /// <summary>The engine's informational version: a cache written by another build is not reused.</summary>
    public static string EngineVersion { get; } =
        typeof(BaselineCache).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public bool TryGet(string key, out OptimizerResult result)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var e))
            {
                result = new OptimizerResult(e.Optimizer, e.LearningRate, e.FinalLog10, e.CurveLog10, e.Diverged, e.Spikes);
                return true;
            }
        }
        result = null!;
        return false;
    }

    /// <summary>Adds an entry and rewrites the file atomically.</summary>
    public void Put(string key, OptimizerResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (_lock)
        {
            _entries[key] = new CachedBaseline(result.Optimizer, result.LearningRate, result.FinalLog10, result.CurveLog10, result.Diverged, result.Spikes);
            AtomicFile.Write(_path, JsonSerializer.SerializeToUtf8Bytes(_entries, BaselineCacheJson.Default.DictionaryStringCachedBaseline));
        }
    }
}

/// <summary>The stored form of an <see cref="OptimizerResult"/>.</summary>
public sealed record CachedBaseline(string Optimizer, double? LearningRate, double[] FinalLog10, double[] CurveLog10, bool[]? Diverged, int[]? Spikes);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Dictionary<string, CachedBaseline>))]
internal sealed partial class BaselineCacheJson : JsonSerializerContext;
