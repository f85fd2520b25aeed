using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;

namespace LearnedOpt.Tests.MetaTraining;

[Trait("tier", "cpu")]
public class CheckpointTests
{
    private static StateBag Bag(float marker)
    {
        var bag = new StateBag();
        bag.SetFloats("phi", [marker, 2 * marker]);
        bag.SetULongs("rng", [ulong.MaxValue, 7]);
        bag.SetDoubles("best", [marker / 3.0]);
        return bag;
    }

    private static CheckpointStore ThreeCheckpoints(TempDir dir)
    {
        var store = new CheckpointStore(dir.Path, keep: 3);
        for (int it = 1; it <= 3; it++) store.Save(it * 10, Bag(it), new Dictionary<string, string>());
        return store;
    }

    [Fact]
    public void RoundTripKeepsEveryValueBitForBit()
    {
        using var dir = new TempDir();
        var store = ThreeCheckpoints(dir);
        var loaded = store.LoadLatest()!;
        Assert.Equal(30, loaded.Iteration);
        Assert.Equal([3f, 6f], loaded.State.GetFloats("phi", 2));
        Assert.Equal([ulong.MaxValue, 7UL], loaded.State.GetULongs("rng", 2));
        Assert.Equal(1.0, loaded.State.GetDoubles("best", 1)[0]);
        Assert.Throws<InvalidDataException>(() => loaded.State.GetFloats("phi", 3));
        Assert.Throws<InvalidDataException>(() => loaded.State.GetFloats("missing"));
    }

    [Fact]
    public void OnlyTheNewestCheckpointsAreKept()
    {
        using var dir = new TempDir();
        var store = new CheckpointStore(dir.Path, keep: 2);
        for (int it = 1; it <= 5; it++) store.Save(it, Bag(it), new Dictionary<string, string>());
        Assert.Equal([5L, 4L], store.Iterations());
        Assert.Equal(4, Directory.GetFiles(dir.Path).Length);
    }

    public static TheoryData<string> Damages => new() { "flip", "truncate", "no-checksum", "garbage" };

    [Theory]
    [MemberData(nameof(Damages))]
    public void DamagedNewestCheckpointIsRejectedAndThePreviousUsed(string damage)
    {
        using var dir = new TempDir();
        var store = ThreeCheckpoints(dir);
        var newest = store.PathFor(30);
        var bytes = File.ReadAllBytes(newest);
        switch (damage)
        {
            case "flip": bytes[bytes.Length / 2] ^= 0x40; File.WriteAllBytes(newest, bytes); break;
            case "truncate": File.WriteAllBytes(newest, bytes[..(bytes.Length / 3)]); break;
            case "no-checksum": File.Delete(newest + ".sha256"); break;
            case "garbage": File.WriteAllText(newest, "not a checkpoint"); break;
        }
        var messages = new List<string>();
        var loaded = store.LoadLatest(messages.Add);
        Assert.NotNull(loaded);
        Assert.Equal(20, loaded.Iteration);
        Assert.Equal([2f, 4f], loaded.State.GetFloats("phi", 2));
        var message = Assert.Single(messages);
        Assert.Contains("ckpt-00000030", message);
        Assert.Contains(damage == "no-checksum" ? "missing" : "SHA-256", message);
    }

    [Fact]
    public void AllCheckpointsDamagedGivesNone()
    {
        using var dir = new TempDir();
        var store = ThreeCheckpoints(dir);
        foreach (var it in store.Iterations()) File.WriteAllText(store.PathFor(it), "x");
        var messages = new List<string>();
        Assert.Null(store.LoadLatest(messages.Add));
        Assert.Equal(3, messages.Count);
    }

    [Theory]
    [InlineData("pes")]
    [InlineData("es")]
    [InlineData("tbptt")]
    public void TrainerResumesFromThePreviousCheckpointWhenTheNewestIsCorrupt(string estimator)
    {
        using var dir = new TempDir();
        using var backend = new CpuBackend();
        var cfg = SmallConfigs.Tiny(10) with { Estimator = estimator };
        var full = new MetaTrainer(cfg, dir.Path, backend);
        full.Run(TestContext.Current.CancellationToken);
        var store = new CheckpointStore(Path.Combine(dir.Path, "checkpoints"), 3);
        Assert.Equal([10L, 5L], store.Iterations());
        File.WriteAllBytes(store.PathFor(10), File.ReadAllBytes(store.PathFor(10))[..100]);

        var resumed = new MetaTrainer(cfg, dir.Path, backend);
        var log = new List<string>();
        resumed.Log = log.Add;
        Assert.True(resumed.Resume());
        Assert.Equal(5, resumed.Iteration);
        Assert.Contains(log, m => m.Contains("rejected") && m.Contains("ckpt-00000010"));
        // Continuing from 5 reproduces the uninterrupted run's weights exactly.
        resumed.Run(TestContext.Current.CancellationToken);
        Assert.Equal(full.Phi, resumed.Phi);
    }

    [Fact]
    public void AFinishedRunCanBeExtendedAndMatchesALongerRun()
    {
        using var dir = new TempDir();
        using var longer = new TempDir();
        using var backend = new CpuBackend();
        new MetaTrainer(SmallConfigs.Tiny(5), dir.Path, backend).Run(TestContext.Current.CancellationToken);
        var extended = new MetaTrainer(SmallConfigs.Tiny(10), dir.Path, backend);
        Assert.True(extended.Resume());
        Assert.Equal(5, extended.Iteration);
        extended.Run(TestContext.Current.CancellationToken);
        var direct = new MetaTrainer(SmallConfigs.Tiny(10), longer.Path, backend);
        direct.Run(TestContext.Current.CancellationToken);
        Assert.Equal(direct.Phi, extended.Phi);
    }

    [Fact]
    public void ACheckpointOfAnotherConfigIsRejected()
    {
        using var dir = new TempDir();
        using var backend = new CpuBackend();
        new MetaTrainer(SmallConfigs.Tiny(5), dir.Path, backend).Run(TestContext.Current.CancellationToken);
        var other = new MetaTrainer(SmallConfigs.Tiny(5) with { Sigma = 0.02 }, dir.Path, backend);
        var log = new List<string>();
        other.Log = log.Add;
        Assert.False(other.Resume());
        Assert.Contains(log, m => m.Contains("another config"));
    }
}
