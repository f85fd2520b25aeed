using LearnedOpt.Backends;
using LearnedOpt.IO;
using LearnedOpt.Optimizers;
using LearnedOpt.Tensors;

namespace LearnedOpt.Optim;

/// <summary>
/// An optimizer bound to the caller's parameter arrays (made by <see cref="Optimizers"/> or
/// <see cref="LearnedOptimizers"/>): each <see cref="Step"/> takes one gradient array per
/// parameter array and updates the parameters in place on the CPU backend, after clipping by
/// <see cref="MaxGradNorm"/> and with the factor of <see cref="Schedule"/>.
/// </summary>
public abstract class ParameterOptimizer : IDisposable
{
    private const string StateFormat = "learnedopt-parameter-optimizer-state";
    private readonly IBackend _backend;
    private float[][]? _clipped;
    private LearningRateSchedule _schedule = LearningRateSchedule.Constant();
    private double? _maxGradNorm;
    private bool _disposed;

    private protected ParameterOptimizer(string name, IReadOnlyList<ParameterGroup> groups, IBackend backend)
    {
        Name = name;
        Groups = groups;
        Parameters = groups.SelectMany(g => g.Parameters).ToArray();
        _backend = backend;
    }

    /// <summary>The optimizer's name, e.g. "adam" or "hrnn" (as the CLI spells it).</summary>
    public string Name { get; }

    /// <summary>The parameter groups, in the order their arrays appear in <see cref="Parameters"/>.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>Every parameter array, group by group: the order <see cref="Step"/> expects the gradients in.</summary>
    public IReadOnlyList<float[]> Parameters { get; }

    /// <summary>Steps taken so far; the schedule's step index of the next step.</summary>
    public long StepCount { get; private set; }

    /// <summary>The learning-rate schedule (default constant); for learned optimizers a multiplier on their step.</summary>
    public LearningRateSchedule Schedule
    {
        get => _schedule;
        set => _schedule = value ?? throw new ArgumentNullException(nameof(value), "Schedule must not be null; use LearningRateSchedule.Constant().");
    }

    /// <summary>Clip the gradients to this global L2 norm before each step (null: no clipping).</summary>
    public double? MaxGradNorm
    {
        get => _maxGradNorm;
        set
        {
            if (value is { } v && (!double.IsFinite(v) || v <= 0))
                throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), v, "MaxGradNorm must be finite and > 0 (or null for no clipping).");
            _maxGradNorm = value;
        }
    }

    /// <summary>The global gradient norm of the last step before clipping (NaN before the first step or without clipping).</summary>
    public double LastGradientNorm { get; private set; } = double.NaN;

    /// <summary>The schedule's factor for the next step.</summary>
    public double CurrentFactor => Schedule.Factor(StepCount);

    /// <summary>
    /// One step: <paramref name="gradients"/> holds one array per parameter array, in the order of
    /// <see cref="Parameters"/>, each of the same length. The gradient arrays are not changed
    /// (clipping works on a copy).
    /// </summary>
    /// <param name="gradients">The gradients of the loss at the current parameters.</param>
    public void Step(params IReadOnlyList<float[]> gradients)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(gradients);
        if (gradients.Count != Parameters.Count)
            throw new ArgumentException($"gradients has {gradients.Count} arrays, the optimizer steps {Parameters.Count} parameter arrays.", nameof(gradients));
        for (int i = 0; i < gradients.Count; i++)
        {
            if (gradients[i] is null) throw new ArgumentNullException(nameof(gradients), $"gradients[{i}] is null.");
            if (gradients[i].Length != Parameters[i].Length)
                throw new ArgumentException($"gradients[{i}] has {gradients[i].Length} elements, parameters[{i}] has {Parameters[i].Length}.", nameof(gradients));
        }
        double factor = Schedule.Factor(StepCount);
        if (!double.IsFinite(factor) || factor < 0)
            throw new InvalidOperationException($"Schedule gave factor {factor} at step {StepCount}; a factor must be finite and >= 0.");

        var g = gradients;
        if (MaxGradNorm is { } maxNorm)
        {
            _clipped ??= Parameters.Select(p => new float[p.Length]).ToArray();
            for (int i = 0; i < g.Count; i++) g[i].CopyTo(_clipped[i], 0);
            LastGradientNorm = GradientClipping.ClipByGlobalNorm(_clipped, maxNorm);
            g = _clipped;
        }
        StepCore(g, factor);
        StepCount++;
    }

    /// <summary>One step with every gradient already validated, clipped and the schedule's factor.</summary>
    private protected abstract void StepCore(IReadOnlyList<float[]> gradients, double factor);

    /// <summary>The optimizers holding the state, each with the prefix its tensors carry in the state file.</summary>
    private protected abstract IReadOnlyList<(string Prefix, Optimizer Optimizer)> StateHolders { get; }

    /// <summary>
    /// Writes the whole state (every buffer and the step count) as a safetensors file, atomically
    /// (a temporary file renamed over <paramref name="path"/>), with a SHA-256 checksum.
    /// </summary>
    /// <param name="path">The state file to write.</param>
    public void SaveState(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var tensors = new List<SafeTensor> { SafeTensor.FromInt64("step", StepCount) };
        foreach (var (prefix, opt) in StateHolders)
            tensors.AddRange(opt.ExportState().Select(t => new SafeTensor(prefix + t.Name, t.DType, t.Shape, t.Data)));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = StateFormat,
            ["version"] = "1",
            ["optimizer"] = Name,
            ["parameters"] = Layout,
            [StateChecksum.MetadataKey] = StateChecksum.Compute(tensors),
        };
        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Replaces the state with one written by <see cref="SaveState"/> for the same optimizer and
    /// parameter shapes; the checksum, names and shapes are verified before anything changes, so
    /// the next step continues exactly where the saved run would have.
    /// </summary>
    /// <param name="path">The state file to read.</param>
    public void LoadState(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"path '{path}' does not exist.", path);
        var doc = SafeTensorsFile.Read(path);
        Expect(doc, path, "format", StateFormat);
        Expect(doc, path, "version", "1");
        Expect(doc, path, "optimizer", Name);
        Expect(doc, path, "parameters", Layout);
        StateChecksum.Verify(doc, path);
        long step = doc.Get("step", path).ToInt64();
        if (step < 0) throw new InvalidDataException($"{path}: tensor 'step' holds {step}, expected >= 0.");

        var holders = StateHolders;
        var unclaimed = doc.Tensors.FirstOrDefault(t => t.Name != "step" && !holders.Any(h => t.Name.StartsWith(h.Prefix, StringComparison.Ordinal)));
        if (unclaimed != null) throw new InvalidDataException($"{path}: unexpected tensor '{unclaimed.Name}' for {Name} state.");

        // Import holder by holder; if a later one rejects its part, put the earlier ones back.
        var previous = holders.Select(h => h.Optimizer.ExportState()).ToArray();
        int done = 0;
        try
        {
            foreach (var (prefix, opt) in holders)
            {
                var part = doc.Tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal))
                    .Select(t => new SafeTensor(t.Name[prefix.Length..], t.DType, t.Shape, t.Data)).ToList();
                opt.ImportState(new SafeTensorsFile.Document(part, doc.Metadata), path);
                done++;
            }
        }
        catch
        {
            for (int i = 0; i < done; i++)
                holders[i].Optimizer.ImportState(new SafeTensorsFile.Document(previous[i], new Dictionary<string, string>()), "previous state");
            throw;
        }
        StepCount = step;
    }

    /// <summary>Frees the optimizer's state and its backend.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, opt) in StateHolders) opt.Dispose();
        _backend.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Tensor specs named param0, param1, ... for <paramref name="arrays"/>.</summary>
    private protected static TensorSpec[] Specs(IEnumerable<float[]> arrays, int firstIndex)
        => arrays.Select((a, i) => new TensorSpec($"param{firstIndex + i}", a.Length)).ToArray();

    /// <summary>Checks the groups: at least one array in all, no null array, no array twice.</summary>
    internal static void CheckGroups(IReadOnlyList<ParameterGroup> groups, string argument)
    {
        ArgumentNullException.ThrowIfNull(groups, argument);
        if (groups.Count == 0) throw new ArgumentException($"{argument} is empty; an optimizer needs at least one parameter array.", argument);
        var seen = new Dictionary<float[], int>(ReferenceEqualityComparer.Instance);
        int index = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            if (groups[g] is null) throw new ArgumentNullException(argument, $"{argument}[{g}] is null.");
            foreach (var p in groups[g].Parameters)
            {
                if (p is null) throw new ArgumentNullException(argument, $"{argument}: parameter array {index} is null.");
                if (seen.TryGetValue(p, out var first))
                    throw new ArgumentException($"{argument}: parameter array {index} is the same array as parameter array {first}; each array may appear once.", argument);
                seen[p] = index++;
            }
        }
        if (index == 0) throw new ArgumentException($"{argument} holds no parameter array; an optimizer needs at least one.", argument);
    }

    private string Layout => string.Join(";", Groups.Select(g => string.Join(",", g.Parameters.Select(p => p.Length))));

    private static void Expect(SafeTensorsFile.Document doc, string path, string key, string expected)
    {
        if (!doc.Metadata.TryGetValue(key, out var value))
            throw new InvalidDataException($"{path}: metadata '{key}' is missing; not a state file written by SaveState.");
        if (value != expected)
            throw new InvalidDataException($"{path}: metadata '{key}' is '{value}', this optimizer expects '{expected}'.");
    }
}
