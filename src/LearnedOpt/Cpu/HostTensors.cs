using LearnedOpt.Backends;

namespace LearnedOpt.Cpu;

/// <summary>Argument checks for tensors handed to the CPU library: host memory, the right length, no null pointer.</summary>
internal static unsafe class HostTensors
{
    /// <summary>Throws, naming <paramref name="name"/>, unless <paramref name="view"/> is host memory of <paramref name="length"/> floats.</summary>
    public static void Require(TensorView view, long length, string name)
    {
        if (view.Location != MemoryLocation.Host)
            throw new ArgumentException($"{name} lives on {view.Location}; the CPU backend needs host memory.", name);
        if (view.Length != length)
            throw new ArgumentException($"{name} has {view.Length} elements, expected {length}.", name);
        if (length > 0 && view.IsNull)
            throw new ArgumentNullException(name, $"{name} is a null pointer with {length} elements.");
    }
}
