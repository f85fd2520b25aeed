using System.Text.Json;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks;
using LearnedOpt.Tests.Cli;

namespace LearnedOpt.Tests.Data;

/// <summary>`lopt train` in-process on the L2O quadratic (no dataset needed); console output is captured.</summary>
[Collection(CliCollection.Name)]
[Trait("tier", "cpu")]
public class TrainCommandTests
{
    private static (int Code, string Out, string Err) Lopt(params string[] args) => CliRunner.Run(args);

    private static JsonElement Json(string stdout) => JsonDocument.Parse(stdout.Trim()).RootElement;

    // What the run starts from: the init stream of the seed, rounded to the optimizer's float32.
    private static double InitialLoss(ulong seed)
    {
        var task = new L2oQuadraticTask(seed);
        var theta = task.SampleInitialPoint(new Rng(seed).Fork("init"));
        return task.Loss([theta[0].Select(v => (double)(float)v).ToArray()], null);
    }

    [Fact]
    public void TrainsWritesCurveAndReportsJson()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        var (code, stdout, err) = Lopt("train", "--task", "l2o-quadratic", "--optimizer", "adam", "--lr", "0.01", "--steps", "60", "--seed", "3", "--out", outDir, "--json", "--backend", "cpu");
        Assert.True(code == 0, err);
        var json = Json(stdout);
        Assert.Equal("l2o-quadratic", json.GetProperty("task").GetString());
        Assert.Equal(60, json.GetProperty("steps").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("test_loss").ValueKind);
        double initial = InitialLoss(3);
        double final = json.GetProperty("train_loss").GetDouble();
        Assert.True(final < initial / 2, $"train loss {final} vs initial {initial}");

        var csv = File.ReadAllLines(Path.Combine(outDir, "loss.csv"));
        Assert.Equal("step,loss", csv[0]);
        Assert.Equal(61, csv.Length);
        Assert.Equal(initial, double.Parse(csv[1].Split(',')[1], System.Globalization.CultureInfo.InvariantCulture), 1e-12);
        var png = File.ReadAllBytes(Path.Combine(outDir, "loss.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Contains("step 60/60", err); // progress goes to stderr under --json
        Assert.Equal("cpu", json.GetProperty("backend").GetString());
    }

    [Fact]
    public void SameSeedReplaysAndAnotherSeedDiffers()
    {
        string[] Args(string seed) => ["train", "--task", "l2o-quadratic", "--optimizer", "rmsprop", "--steps", "20", "--seed", seed, "--json", "--backend", "cpu"];
        double Loss(string seed) => Json(Lopt(Args(seed)).Out).GetProperty("train_loss").GetDouble();
        Assert.Equal(Loss("4"), Loss("4"));
        Assert.NotEqual(Loss("4"), Loss("5"));
    }

    [Fact]
    public void HyperParameterFlagsReachTheOptimizer()
    {
        // SGD with --lr 0 never moves: the final loss is the initial one.
        var zero = Json(Lopt("train", "--task", "l2o-quadratic", "--optimizer", "sgd", "--lr", "0", "--steps", "5", "--json", "--backend", "cpu").Out);
        Assert.Equal(InitialLoss(0), zero.GetProperty("train_loss").GetDouble(), 1e-12);
        var moved = Json(Lopt("train", "--task", "l2o-quadratic", "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9", "--nesterov", "--steps", "5", "--json", "--backend", "cpu").Out);
        Assert.True(moved.GetProperty("train_loss").GetDouble() < InitialLoss(0));
    }

    [Fact]
    public void DivergedRunStillPrintsValidJsonWithNulls()
    {
        var (code, stdout, err) = Lopt("train", "--task", "l2o-quadratic", "--optimizer", "sgd", "--lr", "1e30", "--steps", "8", "--json", "--backend", "cpu");
        Assert.True(code == 0, err);
        var json = Json(stdout);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("train_loss").ValueKind);
        Assert.True(json.GetProperty("non_finite_gradients").GetInt64() > 0);
    }

    [Fact]
    public void TextModePrintsFinalLosses()
    {
        var (code, stdout, _) = Lopt("train", "--task", "l2o-quadratic", "--optimizer", "adam", "--steps", "3", "--backend", "cpu");
        Assert.Equal(0, code);
        Assert.Contains("final train loss", stdout);
        Assert.Contains("no test split", stdout);
    }

    [Theory]
    [InlineData("Unknown task 'nope'", "--task", "nope", "--optimizer", "adam", "--steps", "3")]
    [InlineData("Unknown optimizer 'adamx'", "--task", "l2o-quadratic", "--optimizer", "adamx", "--steps", "3")]
    [InlineData("--steps must be >= 1", "--task", "l2o-quadratic", "--optimizer", "adam", "--steps", "0")]
    [InlineData("beta1 = 1.5", "--task", "l2o-quadratic", "--optimizer", "adam", "--steps", "3", "--beta1", "1.5")]
    [InlineData("does not exist", "--task", "l2o-quadratic", "--optimizer", "hrnn", "--steps", "3", "--weights", "/nonexistent/w.safetensors")]
    [InlineData("--decay", "--task", "l2o-quadratic", "--optimizer", "powersign", "--steps", "3", "--decay", "sideways")]
    public void BadInputIsOneLineAndExitCode2(string expected, params string[] args)
    {
        var (code, _, err) = Lopt(["train", .. args, "--backend", "cpu"]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.StartsWith("lopt: ", err);
    }
}
