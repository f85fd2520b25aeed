using System.Text.Json;
using System.Text.Json.Serialization;
using LearnedOpt.Tasks;

namespace LearnedOpt.MetaTraining.Schedules;

/// <summary>One validation problem of a schedule search: a registered, not held-out task, run on <see cref="Seeds"/> seeds for <see cref="Steps"/> steps.</summary>
public sealed class ScheduleProblem
{
    public string Task { get; set; } = "";
    public int Seeds { get; set; } = 1;
    public int Steps { get; set; } = 1000;
}

/// <summary>
/// <c>lopt schedule-search</c>'s config: the starting weights, the grid of fixed learning-rate
/// schedules (first-step learning rates × decays over <see cref="Horizon"/> steps) and the validation
/// problems that choose among them (never held-out tasks).
/// </summary>
public sealed class ScheduleSearchConfig
{
    public string InitWeights { get; set; } = "";
    public ulong Seed { get; set; } = 1;
    public double[] InitialLearningRates { get; set; } = [];
    public double[] Decays { get; set; } = [];
    public int Horizon { get; set; } = 1000;
    public ScheduleProblem[] Problems { get; set; } = [];
    public int Threads { get; set; } = 0;

    [JsonIgnore]
    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    public static ScheduleSearchConfig FromJson(string json, string source = "config")
    {
        ScheduleSearchConfig? c;
        try
        {
            c = JsonSerializer.Deserialize(json, ScheduleSearchConfigJson.Default.ScheduleSearchConfig);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}");
        }
        if (c == null) throw new InvalidDataException($"{source}: the config is empty (null).");
        c.Validate(source);
        return c;
    }

    public static ScheduleSearchConfig Load(string path) => FromJson(File.ReadAllText(path), path);

    /// <summary>Checks every key; the message names the key and the value.</summary>
    public void Validate(string source = "config")
    {
        void Fail(string key, object value, string rule) => throw new ArgumentException($"{source}: {key} = {value}: {rule}.", key);
        if (string.IsNullOrWhiteSpace(InitWeights)) Fail("initWeights", $"'{InitWeights}'", "give the HRNN weight file whose direction the schedules keep");
        if (InitialLearningRates.Length == 0) Fail("initialLearningRates", "[]", "give at least one first-step learning rate");
        foreach (var lr in InitialLearningRates)
            if (!(lr > 0) || !double.IsFinite(lr)) Fail("initialLearningRates", lr, "every learning rate must be finite and > 0");
        if (Decays.Length == 0) Fail("decays", "[]", "give at least one decay (0 = constant)");
        foreach (var d in Decays)
            if (!(d >= 0) || !double.IsFinite(d)) Fail("decays", d, "every decay must be finite and >= 0");
        if (Horizon < 1) Fail("horizon", Horizon, "must be >= 1");
        if (Problems.Length == 0) Fail("problems", "[]", "give at least one validation problem");
        foreach (var p in Problems)
        {
            var entry = TaskRegistry.Find(p.Task);
            if (entry == null) Fail("problems.task", $"'{p.Task}'", "is not a registered task (see lopt tasks)");
            else if (entry.HeldOut) Fail("problems.task", $"'{p.Task}'", "is held out: validation must never see the held-out suite");
            if (p.Seeds < 1) Fail("problems.seeds", p.Seeds, $"must be >= 1 (task '{p.Task}')");
            if (p.Steps < 1) Fail("problems.steps", p.Steps, $"must be >= 1 (task '{p.Task}')");
        }
        if (Threads < 0) Fail("threads", Threads, "must be >= 0 (0 = all cores)");
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ScheduleSearchConfig))]
internal sealed partial class ScheduleSearchConfigJson : JsonSerializerContext;
