using LearnedOpt.Backends.Cuda;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using LearnedOpt.Backends;
using LearnedOpt.Interop;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Tests.NativeAbi;

/// <summary>
/// Every C# mirror of a native struct has the size and field offsets the native build reports
/// (lopt_abi_struct), field by field in declaration order, and every constant of NativeConstants
/// has its macro's value (lopt_abi_constant): the headers are the one source of both.
/// </summary>
[Trait("tier", "cpu")]
public class NativeAbiTests
{
    public static TheoryData<string, Type> Mirrors => new()
    {
        { "lopt_hparams", typeof(LoptHParams) },
        { "lopt_coef", typeof(LoptCoef) },
        { "lopt_hrnn_tensor", typeof(LoptHrnnTensor) },
        { "lopt_hrnn_shared", typeof(LoptHrnnShared) },
        { "lopt_hrnn_desc", typeof(CudaHrnnKernels.Desc) },
        { "lopt_hg_job", typeof(CudaCoordinateEngine.Job) },
    };

    [Theory]
    [MemberData(nameof(Mirrors))]
    public unsafe void MirrorHasTheNativeSizeAndFieldOffsets(string native, Type mirror)
    {
        using var _ = new CpuBackend(); // loads the library through our resolver
        long size;
        var offsets = new long[64];
        int count;
        fixed (long* o = offsets) count = LoptAbiNative.lopt_abi_struct(native, &size, o, offsets.Length);
        Assert.True(count > 0, $"{native}: native library does not know it ({count})");

        var fields = mirror.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                           .OrderBy(f => f.MetadataToken).ToArray();
        Assert.Equal(count, fields.Length);
        Assert.Equal(size, Marshal.SizeOf(mirror));
        for (int i = 0; i < count; i++)
            Assert.True(offsets[i] == (long)Marshal.OffsetOf(mirror, fields[i].Name),
                $"{mirror.Name}.{fields[i].Name}: C# offset {Marshal.OffsetOf(mirror, fields[i].Name)}, native field {i} of {native} at {offsets[i]}");
    }

    public static TheoryData<string, int> Constants()
    {
        var data = new TheoryData<string, int>();
        foreach (var f in typeof(NativeConstants).GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic).Where(f => f.IsLiteral))
            data.Add(f.Name, (int)f.GetRawConstantValue()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Constants))]
    public unsafe void ConstantHasTheNativeValue(string name, int value)
    {
        using var _ = new CpuBackend();
        string macro = "LOPT_" + Regex.Replace(name, "(?<!^)([A-Z])", "_$1").ToUpperInvariant();
        long native;
        Assert.True(LoptAbiNative.lopt_abi_constant(macro, &native) == 0, $"{name}: the native library has no constant {macro}");
        Assert.Equal(native, value);
    }

    [Fact]
    public unsafe void UnknownNamesAreRejectedByName()
    {
        using var _ = new CpuBackend();
        long v;
        Assert.Equal(-1, LoptAbiNative.lopt_abi_struct("lopt_no_such", &v, null, 0));
        Assert.Contains("'lopt_no_such'", Marshal.PtrToStringUTF8((nint)LoptCpuNative.lopt_last_error()));
        Assert.Equal(-1, LoptAbiNative.lopt_abi_constant("LOPT_NO_SUCH", &v));
        Assert.Contains("'LOPT_NO_SUCH'", Marshal.PtrToStringUTF8((nint)LoptCpuNative.lopt_last_error()));
    }
}
