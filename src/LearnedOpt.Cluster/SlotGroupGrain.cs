using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Distributed;
using Orleans.Runtime;

namespace LearnedOpt.Cluster;

/// <summary>
/// A slot group on a worker silo: a thin shell over <see cref="SlotGroupExecutor"/>, which holds the
/// slots' states in memory and replays what a fresh activation lacks. It refuses a coordinator of
/// another protocol or engine, fetches the φ versions the work needs through the silo's cache, and
/// runs the unrolls off the grain's scheduler.
/// </summary>
public sealed class SlotGroupGrain(WorkerResources resources, ILocalSiloDetails silo) : Grain, ISlotGroupGrain
{
    private SlotGroupExecutor? _executor;
    private string? _configJson;

    public async Task<GroupReply> Run(GroupCall call, CancellationToken cancel = default)
    {
        string here = silo.SiloAddress.ToString();
        if (call.Protocol != ClusterProtocol.Current)
            return new GroupReply([], $"worker {here} runs {ClusterProtocol.Current}, the coordinator {call.Protocol}: use the same lopt build on every machine.", false, here);
        if (_executor == null || _configJson != call.ConfigJson)
        {
            var config = MetaTrainingConfig.FromJson(call.ConfigJson, "coordinator config");
            var sampler = new EnsembleSampler(config.Ensemble, config.MaxParameters);
            _executor = new SlotGroupExecutor(config, new EpisodeExecutor(config, sampler, new HrnnParameterVector(config.H1, config.H2), resources.Backend));
            _configJson = call.ConfigJson;
        }
        var work = WorkCodec.DecodeWork(call.Work);
        var versions = work.Slots.SelectMany(s => s.History.Select(h => h.Iteration - 1)).Concat(work.Slots.Length > 0 ? [work.Iteration - 1] : []).Distinct().ToArray();
        var phis = new Dictionary<long, float[]>();
        foreach (var v in versions) phis[v] = await resources.Phi(GrainFactory, call.RunId, v);
        var executor = _executor;
        try
        {
            var results = await Task.Run(() => executor.Run(work, v => phis[v], resources.Threads), cancel);
            return new GroupReply(WorkCodec.Encode(results), null, false, here);
        }
        catch (StaleWorkException)
        {
            return new GroupReply([], null, true, here);
        }
    }
}
