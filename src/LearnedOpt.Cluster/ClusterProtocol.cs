using System.Reflection;

namespace LearnedOpt.Cluster;

/// <summary>
/// What a coordinator and a worker must agree on: the wire layout of <see cref="WorkCodec"/> and the
/// engine that computes the unrolls (a worker of another engine version would give other bits).
/// </summary>
public static class ClusterProtocol
{
    /// <summary>Bumped whenever the group work or result layout changes.</summary>
    public const int WireVersion = 1;

    /// <summary>"wire W / engine V", compared as a whole: a worker that differs is refused.</summary>
    public static string Current { get; } = $"wire {WireVersion} / engine {EngineVersion()}";

    private static string EngineVersion()
    {
        var asm = typeof(MetaTraining.MetaTrainer).Assembly;
        return asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? asm.GetName().Version?.ToString() ?? "unknown";
    }
}
