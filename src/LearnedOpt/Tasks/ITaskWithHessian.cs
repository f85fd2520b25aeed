namespace LearnedOpt.Tasks;

/// <summary>
/// A task with exact second-order information: meta-training keeps second-order terms, so it
/// needs Hessian-vector products of the noise-free, full-data loss.
/// </summary>
public interface ITaskWithHessian : ITask
{
    /// <summary>result = ∇²f(theta)·v, tensor by tensor in the order of <see cref="ITask.Parameters"/>.</summary>
    void HessianVectorProduct(IReadOnlyList<double[]> theta, IReadOnlyList<double[]> v, IReadOnlyList<double[]> result);
}
