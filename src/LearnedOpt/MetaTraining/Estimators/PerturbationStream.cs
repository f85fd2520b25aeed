using LearnedOpt.Randomness;

namespace LearnedOpt.MetaTraining.Estimators;

/// <summary>
/// Where an antithetic estimator's perturbations εₖ,ᵢ ~ N(0, σ²I) come from. <c>sequential</c>: one
/// generator read in order (slot after slot, iteration after iteration), which only the process
/// holding it can reproduce. <c>keyed</c>: εₖ,ᵢ is a pure function of (run seed, iteration k, slot i),
/// the Gaussian stream of Rng(seed).Fork(estimator).Fork(k).Fork(i), so any machine regenerates it
/// from three integers (the shared-seed scheme of Salimans et al. 2017).
/// </summary>
public sealed class PerturbationStream
{
    public const string Sequential = "sequential", Keyed = "keyed";

    private readonly Rng? _sequential;
    private readonly Rng _root;

    /// <param name="mode"><see cref="Sequential"/> or <see cref="Keyed"/>.</param>
    /// <param name="seed">The run seed.</param>
    /// <param name="estimator">The estimator's name ("es", "pes"): its own stream, as the sequential generator.</param>
    public PerturbationStream(string mode, ulong seed, string estimator)
    {
        ArgumentException.ThrowIfNullOrEmpty(estimator);
        _root = new Rng(seed).Fork(estimator);
        _sequential = mode switch
        {
            Sequential => _root,
            Keyed => null,
            _ => throw new ArgumentException($"perturbations = '{mode}': must be {Sequential} or {Keyed}.", nameof(mode)),
        };
    }

    public bool IsKeyed => _sequential == null;

    /// <summary>εₖ,ᵢ of length n (iteration counts from 1); sequential mode ignores k and i and reads the next draws.</summary>
    public float[] Draw(long iteration, int slot, int n, double sigma)
        => Perturbation.Draw(_sequential ?? KeyedRng(_root, iteration, slot), n, sigma);

    /// <summary>The keyed εₖ,ᵢ of a run, regenerated without a stream object (what a worker does).</summary>
    public static float[] KeyedDraw(ulong seed, string estimator, long iteration, int slot, int n, double sigma)
        => Perturbation.Draw(KeyedRng(new Rng(seed).Fork(estimator), iteration, slot), n, sigma);

    private static Rng KeyedRng(Rng root, long iteration, int slot)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iteration, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        return root.Fork(iteration).Fork(slot);
    }

    /// <summary>Sequential mode: the generator's state; keyed mode has none (the iteration is the estimator's).</summary>
    public void Save(StateBag bag, string name)
    {
        if (_sequential != null) bag.SetULongs(name, _sequential.SaveState());
    }

    public void Load(StateBag bag, string name)
    {
        if (_sequential != null) _sequential.LoadState(bag.GetULongs(name, 6));
    }
}
