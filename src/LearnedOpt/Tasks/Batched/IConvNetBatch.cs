using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// <see cref="Count"/> ConvNets of one <see cref="ConvNetShape"/> on one backend, each with its own
/// parameters, reading per-instance minibatches of one shared dataset: the float32 twin of
/// <see cref="ConvNetClassificationTask"/>'s training loss. theta and gradient hold Count ×
/// <see cref="Dimension"/> floats (an instance's tensors concatenated in order), loss Count floats;
/// either output may be <c>TensorView.None</c>. Built by <see cref="ConvNetBatches.Create"/>.
/// </summary>
public interface IConvNetBatch : IDisposable
{
    ConvNetShape Shape { get; }

    int Count { get; }

    /// <summary>Parameters per instance.</summary>
    int Dimension { get; }

    /// <summary>Rows of the shared dataset.</summary>
    int Rows { get; }

    /// <summary>
    /// Mean cross-entropy and its gradient on per-instance minibatches: <paramref name="batchRows"/>
    /// (host memory) holds Count × <paramref name="batch"/> row indices, instance k's at k·batch.
    /// </summary>
    void EvaluateRows(TensorView theta, ReadOnlySpan<int> batchRows, int batch, TensorView loss, TensorView gradient);
}
