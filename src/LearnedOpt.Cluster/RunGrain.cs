using Orleans.Concurrency;

namespace LearnedOpt.Cluster;

/// <summary>
/// The run on the coordinator silo. The group calls go out from here, inside a grain, so that a call
/// to a silo that membership has declared dead fails at once and is re-sent: Orleans then activates
/// the group on a live silo, where it replays its episodes. Reentrant: workers ask for φ versions
/// while a fan-out is in flight.
/// </summary>
[Reentrant]
public sealed class RunGrain(CoordinatorRuns runs) : Grain, IRunGrain
{
    public Task<byte[]> Phi(long version) => Task.FromResult(WorkCodec.Encode(runs.Get(this.GetPrimaryKeyString()).Get(version)));

    public Task<GroupReply[]> RunGroups(GroupCall[] calls, int maxAttempts)
        => Task.WhenAll(calls.Select(call => RunGroup(call, maxAttempts)));

    private async Task<GroupReply> RunGroup(GroupCall call, int maxAttempts)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var reply = await GrainFactory.GetGrain<ISlotGroupGrain>(call.GrainKey).Run(call);
                if (!reply.Stale) return reply;
                // A reply about another iteration: dropped; ask again.
            }
            catch (Exception e) when (attempt < maxAttempts && e is not OperationCanceledException)
            {
                // The silo died or the call timed out: the next call re-activates the group elsewhere.
            }
            if (attempt >= maxAttempts)
                throw new TimeoutException($"slot group {call.Group} got no valid reply in {maxAttempts} attempts.");
            runs.CountResent();
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * attempt)));
        }
    }
}
