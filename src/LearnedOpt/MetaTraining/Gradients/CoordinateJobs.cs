namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>One tensor of a batched forward (<see cref="HrnnCoordinateEngine.ForwardAll"/>); arrays as in <see cref="HrnnCoordinateEngine.Forward"/>.</summary>
public readonly record struct ForwardJob(double[] E0, double[] G, CoordinateTensor Input, CoordinateTensor Output, double[] D, double[] A, double[] Sums);

/// <summary>One tensor of a batched adjoint (<see cref="HrnnCoordinateEngine.BackwardAll"/>); arrays as in <see cref="HrnnCoordinateEngine.Backward"/>.</summary>
public readonly record struct BackwardJob(double[] E0, double[] G, CoordinateTensor Input, CoordinateTensor Adjoint, double[] XAdd, double[] HAdd,
                                          double[] DBar, double[] ABar, double[] GBar, double[] Acc);
