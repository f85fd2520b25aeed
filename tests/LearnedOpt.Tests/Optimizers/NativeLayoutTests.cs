using LearnedOpt.Backends;
using LearnedOpt.Interop;

namespace LearnedOpt.Tests.Optimizers;

/// <summary>The managed mirrors of the C structs passed to every kernel have the native sizes.</summary>
[Trait("tier", "cpu")]
public class NativeLayoutTests
{
    [Fact]
    public unsafe void MirroredStructsMatchTheNativeBuild()
    {
        using var _ = new CpuBackend(); // loads the library through our resolver
        Assert.Equal(LoptCpuNative.lopt_struct_size(0), sizeof(LoptHParams));
        Assert.Equal(LoptCpuNative.lopt_struct_size(1), sizeof(LoptCoef));
    }
}
