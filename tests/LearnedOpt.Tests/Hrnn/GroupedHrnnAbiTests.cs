using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Tests.Hrnn;

/// <summary>The grouped C ABI's own argument checks (the managed layer never sends these, other callers might).</summary>
[Trait("tier", "cpu")]
public class GroupedHrnnAbiTests
{
    [Theory]
    [InlineData(new[] { 1, 2 }, 1, "group_first[0] must be 0")]
    [InlineData(new[] { 0, 1, 1 }, 2, "at least one tensor")]
    [InlineData(new[] { 0, 2 }, 0, "at least one group")]
    public unsafe void BadGroupTablesAreRejectedWithTheReason(int[] first, int groups, string reason)
    {
        NativeLibraryResolver.Install();
        int packFloats = Interop.LoptHrnnNative.lopt_hrnn_pack_floats(8, 6);
        var packs = new float[packFloats * 2];
        var table = first.ToArray();
        var block = new float[Interop.LoptHrnnNative.BlockFloats * 2];
        var small = new float[64];
        fixed (float* p = packs)
        fixed (float* b = block)
        fixed (float* s = small)
        fixed (int* f = table)
        {
            var tensors = stackalloc Interop.LoptHrnnTensor[2];
            tensors[0] = new Interop.LoptHrnnTensor { Theta = s, Grad = s, Block = b, N = 1 };
            tensors[1] = tensors[0];
            var sh = new Interop.LoptHrnnShared { S = s, G = s, E0 = s, Etg = s, EllMean = s, Mu = s };
            int code = Interop.LoptHrnnNative.lopt_hrnn_step_grouped(p, 8, 6, tensors, f, groups, null, &sh, null, null);
            var e = Assert.Throws<InvalidOperationException>(() => Interop.LoptCpuNative.Check(code, "lopt_hrnn_step_grouped"));
            Assert.Contains(reason, e.Message);
            code = Interop.LoptHrnnNative.lopt_hrnn_prepare_grouped(p, 8, 6, tensors, f, groups, &sh);
            Assert.NotEqual(0, code);
        }
    }
}
