namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// One tensor of a batched forward (<see cref="HrnnCoordinateEngine.ForwardAll"/>); arrays as in
/// <see cref="HrnnCoordinateEngine.Forward"/>. μ and λ are the job's problem's (tensors of several problems share a call).
/// </summary>
public readonly record struct ForwardJob(double[] E0, double[] G, CoordinateTensor Input, CoordinateTensor Output, double[] D, double[] A, double[] Sums,
                                         double Mu, double Lambda);

/// <summary>
/// One tensor of a batched adjoint (<see cref="HrnnCoordinateEngine.BackwardAll"/>); arrays as in
/// <see cref="HrnnCoordinateEngine.Backward"/>. μ and λ are the job's problem's.
/// </summary>
public readonly record struct BackwardJob(double[] E0, double[] G, CoordinateTensor Input, CoordinateTensor Adjoint, double[] XAdd, double[] HAdd,
                                          double[] DBar, double[] ABar, double[] GBar, double[] Acc, double Mu, double Lambda);

/// <summary>One tensor of a batched <see cref="HrnnCoordinateEngine.AddToEll(IReadOnlyList{EllJob})"/>: add <paramref name="Value"/> to every ℓ adjoint.</summary>
public readonly record struct EllJob(CoordinateTensor Adjoint, double Value);
