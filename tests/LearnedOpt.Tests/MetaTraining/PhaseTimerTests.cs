using LearnedOpt.MetaTraining;

namespace LearnedOpt.Tests.MetaTraining;

/// <summary>The phase timer counts each interval of a thread's time once and only for the flow that installed it.</summary>
[Trait("tier", "cpu")]
public class PhaseTimerTests
{
    private static readonly TimeSpan Nap = TimeSpan.FromMilliseconds(30);

    [Fact]
    public void APhaseOpenedInsideAnotherIsPartOfTheOuterOne()
    {
        var timer = new PhaseTimer();
        using (PhaseTimer.Install(timer))
        using (PhaseTimer.Time(UnrollPhase.Task))
        {
            using (PhaseTimer.Time(UnrollPhase.OptimizerStep)) Thread.Sleep(Nap);
            using (PhaseTimer.Time(UnrollPhase.Task)) Thread.Sleep(Nap);
        }
        Assert.Equal(0, timer.Seconds(UnrollPhase.OptimizerStep));
        Assert.InRange(timer.Seconds(UnrollPhase.Task), 2 * Nap.TotalSeconds * 0.9, 60);
        Assert.Equal(1.0, timer.Shares()[UnrollPhase.Task]);
    }

    [Fact]
    public void AFlowThatDidNotInstallATimerDoesNotReportToIt()
    {
        var mine = new PhaseTimer();
        var theirs = new PhaseTimer();
        using var bothInstalled = new Barrier(2);
        void Work(PhaseTimer timer, UnrollPhase phase)
        {
            using (PhaseTimer.Install(timer))
            {
                bothInstalled.SignalAndWait();
                using (PhaseTimer.Time(phase)) Thread.Sleep(Nap);
            }
        }
        var threads = new[] { new Thread(() => Work(mine, UnrollPhase.Task)), new Thread(() => Work(theirs, UnrollPhase.Backward)) };
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        using (PhaseTimer.Time(UnrollPhase.OptimizerStep)) Thread.Sleep(Nap);  // nothing installed here
        Assert.True(mine.Seconds(UnrollPhase.Task) > 0);
        Assert.Equal(0, mine.Seconds(UnrollPhase.Backward));
        Assert.Equal(0, mine.Seconds(UnrollPhase.OptimizerStep));
        Assert.True(theirs.Seconds(UnrollPhase.Backward) > 0);
        Assert.Equal(0, theirs.Seconds(UnrollPhase.Task));
    }

    [Fact]
    public void ParallelWorkInsideTheInstallingFlowIsCountedPerThread()
    {
        var timer = new PhaseTimer();
        using (PhaseTimer.Install(timer))
            Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            {
                using (PhaseTimer.Time(i % 2 == 0 ? UnrollPhase.Task : UnrollPhase.Backward)) Thread.Sleep(Nap);
            });
        Assert.InRange(timer.Seconds(UnrollPhase.Task), 2 * Nap.TotalSeconds * 0.9, 60);
        Assert.InRange(timer.Seconds(UnrollPhase.Backward), 2 * Nap.TotalSeconds * 0.9, 60);
    }

    [Fact]
    public void SharesAddUpToOneWhileOtherThreadsAreStillAdding()
    {
        var timer = new PhaseTimer();
        bool stop = false;
        // Started inside the installing flow, so the thread reports to the timer.
        var adding = new Thread(() =>
        {
            var phases = Enum.GetValues<UnrollPhase>();
            for (int i = 0; !Volatile.Read(ref stop); i++)
                using (PhaseTimer.Time(phases[i % phases.Length])) Thread.SpinWait(100);
        });
        using (PhaseTimer.Install(timer)) adding.Start();
        try
        {
            for (int k = 0; k < 2000; k++)
            {
                double sum = timer.Shares().Values.Sum();
                Assert.True(sum == 0 || Math.Abs(sum - 1) <= 1e-12, $"shares sum to {sum:R}");
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            adding.Join();
        }
    }
}
