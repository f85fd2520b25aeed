using LearnedOpt.MetaTraining;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

[Trait("tier", "cpu")]
public class NetworksEnsembleTests
{
    [Fact]
    public void TheVariantIsTheDefaultEnsemblePlusTheNetworkFamilies()
    {
        var def = SyntheticCatalog.Variant(SyntheticCatalog.DefaultVariant).Select(e => e.Name).ToList();
        var net = SyntheticCatalog.Variant(SyntheticCatalog.NetworksVariant).Select(e => e.Name).ToList();
        Assert.Equal(def, net.Take(def.Count));
        Assert.Equal(NetworksEnsemble.Entries.Select(e => e.Name), net.Skip(def.Count));
        Assert.Equal(net.Count, net.Distinct().Count());
    }

    [Fact]
    public void NoHeldOutTaskNameIsInTheNetworksVariant()
    {
        var names = SyntheticCatalog.Variant(SyntheticCatalog.NetworksVariant).Select(e => e.Name).ToHashSet();
        Assert.All(LearnedOpt.Tasks.TaskRegistry.All.Where(e => e.HeldOut), e => Assert.DoesNotContain(e.Name, names));
        // The added entries are new problems: none shares a name with a registered task (e.g. the held-out fashion-mnist8-mlp-32).
        var registered = LearnedOpt.Tasks.TaskRegistry.All.Select(e => e.Name).ToHashSet();
        Assert.All(NetworksEnsemble.Entries, e => Assert.DoesNotContain(e.Name, registered));
    }

    [Fact]
    public void DrawsFollowTheGroupShares()
    {
        var sampler = new EnsembleSampler(SyntheticCatalog.NetworksVariant, 3000);
        var p = sampler.Probabilities;
        Assert.Equal(1, p.Sum(), 12);
        var byGroup = sampler.Entries.Select((e, i) => (NetworksEnsemble.GroupOf(e), p[i])).GroupBy(x => x.Item1).ToDictionary(g => g.Key, g => g.Sum(x => x.Item2));
        foreach (var (group, share) in NetworksEnsemble.Groups) Assert.Equal(share, byGroup[group], 12);

        var rng = new Rng(17);
        var counts = new Dictionary<string, int>();
        const int draws = 20000;
        for (int k = 0; k < draws; k++)
        {
            var g = NetworksEnsemble.GroupOf(sampler.Entries[sampler.Draw(rng).Entry]);
            counts[g] = counts.GetValueOrDefault(g) + 1;
        }
        foreach (var (group, share) in NetworksEnsemble.Groups) Assert.InRange(counts[group] / (double)draws, share - 0.015, share + 0.015);
    }

    [Fact]
    public void SharesRenormaliseWhenAGroupIsFilteredOut()
    {
        // At most 120 parameters: only the synthetic entries and the dying-gradient quadratics remain.
        var sampler = new EnsembleSampler(SyntheticCatalog.NetworksVariant, 120);
        var p = sampler.Probabilities;
        double dying = sampler.Entries.Select((e, i) => NetworksEnsemble.GroupOf(e) == NetworksEnsemble.DyingGradientFamily ? p[i] : 0).Sum();
        Assert.Equal(0.2 / 0.6, dying, 12);
        Assert.Equal(3, sampler.Entries.Count(e => e.Family == NetworksEnsemble.DyingGradientFamily));
    }

    [Fact]
    public void TheShareListSumsToOneWithTheConvNetGroup()
    {
        Assert.Equal(1, NetworksEnsemble.Groups.Sum(g => g.Share), 12);
        Assert.Equal(NetworksEnsemble.Groups.Count, NetworksEnsemble.Groups.Select(g => g.Group).Distinct().Count());
        Assert.Contains((NetworksEnsemble.FashionMnist8ConvNetFamily, 0.1), NetworksEnsemble.Groups);
        // Every group has entries, and every added entry's group has a share.
        var groups = NetworksEnsemble.Groups.Select(g => g.Group).ToHashSet();
        Assert.All(NetworksEnsemble.Entries, e => Assert.Contains(NetworksEnsemble.GroupOf(e), groups));
        Assert.All(groups.Where(g => g != NetworksEnsemble.SyntheticGroup), g => Assert.Contains(NetworksEnsemble.Entries, e => NetworksEnsemble.GroupOf(e) == g));
    }

    [Fact]
    public void TheVariantListsTheTwoConvNets()
    {
        var conv = SyntheticCatalog.Variant(SyntheticCatalog.NetworksVariant).Where(e => NetworksEnsemble.GroupOf(e) == NetworksEnsemble.FashionMnist8ConvNetFamily).ToList();
        Assert.Equal(["fashion-mnist8-convnet-4x8", "fashion-mnist8-convnet-8x16"], conv.Select(e => e.Name));
        // 3×3 kernels on one 8×8 channel, two poolings to 2×2, a 10-way head.
        Assert.Equal([9 * 4 + 4 + 9 * 4 * 8 + 8 + 8 * 4 * 10 + 10, 9 * 8 + 8 + 9 * 8 * 16 + 16 + 16 * 4 * 10 + 10], conv.Select(e => e.Tensors.Sum(t => t.Length)));
        Assert.All(conv, e => Assert.True(e.IsNetwork));
        Assert.DoesNotContain(SyntheticCatalog.Variant(SyntheticCatalog.DefaultVariant), e => e.Family == NetworksEnsemble.FashionMnist8ConvNetFamily);
    }

    [Fact]
    public void MaxParametersKeepsOnlyTheConvNetsThatFit()
    {
        // 666 parameters for [4, 8], 1898 for [8, 16]; at 700 no 8×8 MLP fits (the smallest has 1210)
        // and one teacher–student MLP does (676).
        var sampler = new EnsembleSampler(SyntheticCatalog.NetworksVariant, 700);
        Assert.Equal(["fashion-mnist8-convnet-4x8"], sampler.Entries.Where(e => e.Family == NetworksEnsemble.FashionMnist8ConvNetFamily).Select(e => e.Name));
        Assert.DoesNotContain(sampler.Entries, e => e.Family == NetworksEnsemble.FashionMnist8Family);
        var p = sampler.Probabilities;
        double Share(string group) => sampler.Entries.Select((e, i) => NetworksEnsemble.GroupOf(e) == group ? p[i] : 0).Sum();
        Assert.Equal(0.1 / 0.85, Share(NetworksEnsemble.FashionMnist8ConvNetFamily), 12);
        Assert.Equal(0.4 / 0.85, Share(NetworksEnsemble.SyntheticGroup), 12);

        var all = new EnsembleSampler(SyntheticCatalog.NetworksVariant, 3000);
        Assert.Equal(2, all.Entries.Count(e => e.Family == NetworksEnsemble.FashionMnist8ConvNetFamily));
    }

    [Fact]
    public void UniformVariantsStillDrawWithNextInt()
    {
        var sampler = new EnsembleSampler(SyntheticCatalog.DefaultVariant, 64);
        var a = new Rng(5);
        var b = new Rng(5);
        for (int k = 0; k < 50; k++)
        {
            var (entry, _) = sampler.Draw(a);
            Assert.Equal(b.NextInt(sampler.Entries.Count), entry);
            b.NextUInt64();
        }
    }
}
