namespace LearnedOpt.Tensors;

/// <summary>A parameter tensor the optimizer steps: its name (used in state files) and shape.</summary>
public sealed record TensorSpec(string Name, long[] Shape)
{
    public TensorSpec(string name, long length) : this(name, [length]) { }

    public long Length => Shape.Aggregate(1L, (a, b) => checked(a * b));
}
