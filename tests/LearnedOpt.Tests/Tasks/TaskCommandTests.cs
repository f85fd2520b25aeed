using System.Text.Json;
using LearnedOpt.IO;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks;
using LearnedOpt.Tasks.Synthetic;
using LearnedOpt.Tests.Cli;

namespace LearnedOpt.Tests.Tasks;

[Collection(CliCollection.Name)]
[Trait("tier", "cpu")]
public sealed class TaskCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lopt-tasks").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string F(string name) => Path.Combine(_dir, name);

    [Fact]
    public void TasksJsonListsEveryRegistryEntry()
    {
        var (exit, output, _) = CliRunner.Run("tasks", "--json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        var items = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(TaskRegistry.All.Count, items.Count);
        var q = items.Single(i => i.GetProperty("name").GetString() == "quadratic-20-noisy");
        Assert.Equal("quadratic", q.GetProperty("family").GetString());
        Assert.Equal(20, q.GetProperty("params").GetInt64());
        Assert.False(q.GetProperty("held_out").GetBoolean());
        var t = q.GetProperty("tensors")[0];
        Assert.Equal("x", t.GetProperty("name").GetString());
        Assert.Equal([20L], t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        foreach (var e in SyntheticCatalog.All) Assert.Contains(items, i => i.GetProperty("name").GetString() == e.Name);
    }

    [Fact]
    public void TasksTableHasOneLinePerTask()
    {
        var (exit, output, _) = CliRunner.Run("tasks");
        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(TaskRegistry.All.Count + 2, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("matmul-3-24 ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("rosenbrock", 0UL)]
    [InlineData("logistic-10", 3UL)]
    [InlineData("sum-norm-quadratic-rosenbrock", 5UL)]
    [InlineData("matmul-2-6", 1UL)]
    public void LossRoundTripsThroughSafetensors(string name, ulong seed)
    {
        var task = TaskRegistry.Get(name).Build(seed);
        var rng = new Rng(9);
        var point = task.Parameters.Select(p => Enumerable.Range(0, (int)p.Length).Select(_ => (float)rng.NextGaussian()).ToArray()).ToArray();
        SafeTensorsFile.Write(F("p.safetensors"), task.Parameters.Select((p, i) => SafeTensor.FromFloats(p.Name, p.Shape, point[i])));

        var (exit, output, err) = CliRunner.Run("loss", "--task", name, "--seed", seed.ToString(), "--params", F("p.safetensors"), "--out", F("g.safetensors"), "--json");
        Assert.True(exit == 0, err);
        double loss = JsonDocument.Parse(output).RootElement.GetProperty("loss").GetDouble();

        var theta = point.Select(a => a.Select(v => (double)v).ToArray()).ToArray();
        var grads = task.Parameters.Select(p => new double[p.Length]).ToArray();
        Assert.Equal(task.Loss(theta, grads), loss);
        var g = SafeTensorsFile.Read(F("g.safetensors"));
        Assert.Equal(task.Parameters.Select(p => p.Name), g.Tensors.Select(t => t.Name));
        for (int i = 0; i < grads.Length; i++)
        {
            var t = g.Get(task.Parameters[i].Name);
            Assert.Equal(SafeTensorDType.F32, t.DType);
            Assert.Equal(task.Parameters[i].Shape, t.Shape);
            Assert.Equal(grads[i].Select(v => (float)v), t.ToFloats());
        }
    }

    [Fact]
    public void LossWithoutParamsEvaluatesTheSeededInitialPoint()
    {
        var a = CliRunner.Run("loss", "--task", "bowl-5-rot", "--seed", "4", "--json");
        var b = CliRunner.Run("loss", "--task", "bowl-5-rot", "--seed", "4", "--json");
        var c = CliRunner.Run("loss", "--task", "bowl-5-rot", "--seed", "5", "--json");
        Assert.Equal(0, a.Exit);
        Assert.Equal(a.Out, b.Out);
        Assert.NotEqual(a.Out, c.Out);
        var task = TaskRegistry.Get("bowl-5-rot").Build(4);
        double expected = task.Loss(task.SampleInitialPoint(new Rng(4).Fork("init")), null);
        Assert.Equal(expected, JsonDocument.Parse(a.Out).RootElement.GetProperty("loss").GetDouble());
    }

    [Fact]
    public void BadInputGivesOneLineErrors()
    {
        var (exit, _, err) = CliRunner.Run("loss", "--task", "rosenbrok");
        Assert.Equal(2, exit);
        Assert.Contains("rosenbrock", err);
        Assert.Single(err.Trim().Split('\n'));

        SafeTensorsFile.Write(F("wrong.safetensors"), [SafeTensor.FromFloats("x", [3], [1f, 2f, 3f])]);
        (exit, _, err) = CliRunner.Run("loss", "--task", "booth", "--params", F("wrong.safetensors"));
        Assert.Equal(2, exit);
        Assert.Contains("shape", err);

        SafeTensorsFile.Write(F("missing.safetensors"), [SafeTensor.FromFloats("y", [2], [1f, 2f])]);
        (exit, _, err) = CliRunner.Run("loss", "--task", "booth", "--params", F("missing.safetensors"));
        Assert.Equal(2, exit);
        Assert.Contains("'y'", err);

        File.WriteAllText(F("junk.safetensors"), "not a safetensors file");
        (exit, _, err) = CliRunner.Run("loss", "--task", "booth", "--params", F("junk.safetensors"));
        Assert.Equal(2, exit);
        Assert.Single(err.Trim().Split('\n'));

        (exit, _, err) = CliRunner.Run("loss", "--task", "booth", "--params", F("absent.safetensors"));
        Assert.Equal(2, exit);
        Assert.Contains("absent.safetensors", err);
    }

    [Fact]
    public void RegistryMissNamesNearNames()
    {
        var e = Assert.Throws<ArgumentException>(() => TaskRegistry.Get("quadratic-21"));
        Assert.Contains("quadratic-20", e.Message);
        Assert.Equal("name", e.ParamName);
    }
}
