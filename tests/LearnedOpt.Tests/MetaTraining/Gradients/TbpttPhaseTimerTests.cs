using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Gradients;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>With a phase timer installed, a TBPTT meta-gradient reports time in each of its three phases.</summary>
[Trait("tier", "cpu")]
public class TbpttPhaseTimerTests
{
    [Fact]
    public void ComputeReportsOptimizerStepTaskAndBackwardTime()
    {
        var (w, problem) = EngineParityCases.Make("three-tensor");
        var timer = new PhaseTimer();
        using (PhaseTimer.Install(timer))
            TbpttMetaGradient.Compute(w, problem, new TbpttOptions(3, CheckpointEvery: 2));
        foreach (var phase in Enum.GetValues<UnrollPhase>())
            Assert.True(timer.Seconds(phase) > 0, $"no time in {phase}");
        Assert.Equal(1.0, timer.Shares().Values.Sum(), 12);
    }
}
