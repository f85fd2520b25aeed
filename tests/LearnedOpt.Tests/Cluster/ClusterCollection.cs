namespace LearnedOpt.Tests.Cluster;

/// <summary>Cluster tests start silos and processes; one at a time keeps their timing predictable on two cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster (silos and processes)";
}
