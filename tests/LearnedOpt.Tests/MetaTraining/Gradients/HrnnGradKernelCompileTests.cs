using LearnedOpt.Cuda;
using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>NVRTC tier (no GPU needed): the TBPTT kernels compile for sm_80 and sm_90 without warnings.</summary>
[Trait("tier", "nvrtc")]
public class HrnnGradKernelCompileTests
{
    [Theory]
    [InlineData(80)]
    [InlineData(90)]
    public void HrnnGradKernelsCompileWithoutWarnings(int arch)
    {
        NativeLibraryResolver.Install();
        LearnedOpt.Tests.Cuda.CudaTestEnvironment.RequireNvrtc();
        var dir = Directory.CreateTempSubdirectory("lopt-hg-kernels-");
        try
        {
            var compiled = new KernelCompiler(new KernelCache(dir.FullName)).Compile("hrnn_grad.cu", CompileTarget.Cubin(arch));
            Assert.Equal("", compiled.Log);
            Assert.True(CubinInfo.IsElf(compiled.Image));
            var names = CubinInfo.Kernels(compiled.Image).Select(k => k.Name).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(new[]
            {
                "lopt_hg_add_ell_f64", "lopt_hg_add_ell_table_f64", "lopt_hg_backward_f32", "lopt_hg_backward_f64",
                "lopt_hg_backward_table_f64", "lopt_hg_ell_sum_table_f64", "lopt_hg_forward_f32",
                "lopt_hg_forward_f64", "lopt_hg_forward_table_f64", "lopt_hg_sum_rows_f64", "lopt_hg_sum_rows_table_f64",
            }, names);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
