using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>A <see cref="ClassifierBatch"/>'s evaluations on one backend: on all rows, or on Count × batch given minibatch rows.</summary>
internal interface IClassifierBatchKernels : IProblemBatchKernels
{
    void EvaluateRows(TensorView theta, ReadOnlySpan<int> batchRows, int batch, TensorView loss, TensorView gradient);

    void HessianVectorProductRows(TensorView theta, ReadOnlySpan<int> batchRows, int batch, TensorView v, TensorView hv);
}
