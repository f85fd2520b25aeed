namespace LearnedOpt.Tasks;

/// <summary>The nonlinearity of an MLP's hidden layers (the output layer is always linear).</summary>
public enum MlpActivation
{
    Relu,
    Sigmoid,
}
