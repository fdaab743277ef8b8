using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Numerics;

/// <summary>The instruction-set width a kernel runs at.</summary>
internal enum SimdPath
{
    /// <summary>Plain scalar loops.</summary>
    Scalar,
    /// <summary>128-bit vectors (SSE, ARM64 AdvSimd).</summary>
    Vector128,
    /// <summary>256-bit vectors (AVX2 with FMA).</summary>
    Vector256,
    /// <summary>512-bit vectors (AVX-512F).</summary>
    Vector512,
}

/// <summary>
/// Which path each hand-written kernel takes on this CPU, decided once, here, from what the CPU can do.
/// <para>
/// .NET's <c>Vector512.IsHardwareAccelerated</c> is the runtime's preferred width, not the CPU's: on Intel AVX-512 parts
/// (Skylake-SP to Sapphire Rapids) it is false, because long stretches of 512-bit code used to lower the clock, while
/// <c>Avx512F.IsSupported</c> is true and explicit Vector512 code still compiles to zmm instructions. Compute-bound kernels
/// whose inner loop is all FMAs gain more from the doubled width than they lose to the clock, so they ask the CPU
/// (<c>Avx512F.IsSupported</c>); memory-bound element-wise passes (optimizers, activations, small products) keep the
/// runtime's preference. <c>DOTNET_EnableAVX512=0</c> and <c>DOTNET_EnableHWIntrinsic=0</c> turn the <c>IsSupported</c>
/// flags off too, so CI's runs with those settings still reach the Vector256 and scalar paths.
/// </para>
/// The table of kernels, their paths, when each is taken, why, and the test that covers it, is at the top of MatMul.cs.
/// </summary>
internal static class KernelPaths
{
    /// <summary>The packed, register-blocked GEMM's micro-kernel.</summary>
    public static readonly SimdPath Gemm = Best(allow512: true);

    /// <summary>The dot-product form of x·Wᵀ: Vector512 or Vector256 (x86 only); elsewhere (Scalar) the packed GEMM serves it.</summary>
    public static readonly SimdPath DotGemm = WidestX86();

    /// <summary>The fused small-network training step: Vector512 or Vector256 (x86 only), otherwise not taken (Scalar).</summary>
    public static readonly SimdPath FusedStep = WidestX86();

    /// <summary>The dot-product GEMM's paths this CPU can run (tests run each against the reference).</summary>
    public static IReadOnlyList<SimdPath> SupportedDotGemmPaths { get; } =
        new[] { SimdPath.Vector512, SimdPath.Vector256 }.Where(p => p == SimdPath.Vector512 ? Avx512F.IsSupported : Avx2AndFma).ToArray();

    private static bool Avx2AndFma => Avx2.IsSupported && Fma.IsSupported;

    // The hand-written x86 kernels (explicit Avx512F or Avx2 intrinsics): AVX-512 whenever the CPU has it, else AVX2 with FMA.
    private static SimdPath WidestX86() => Avx512F.IsSupported ? SimdPath.Vector512 : Avx2AndFma ? SimdPath.Vector256 : SimdPath.Scalar;

    /// <summary>The GEMM paths this CPU can run, widest first (tests run every one of them against the reference).</summary>
    public static IReadOnlyList<SimdPath> SupportedGemmPaths { get; } = SupportedGemm();

    private static SimdPath Best(bool allow512)
    {
        if (allow512 && Avx512F.IsSupported) return SimdPath.Vector512;
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported) return SimdPath.Vector256;
        if (Vector128.IsHardwareAccelerated) return SimdPath.Vector128;
        return SimdPath.Scalar;
    }

    private static SimdPath[] SupportedGemm()
    {
        var paths = new List<SimdPath>();
        if (Avx512F.IsSupported) paths.Add(SimdPath.Vector512);
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported) paths.Add(SimdPath.Vector256);
        if (Vector128.IsHardwareAccelerated) paths.Add(SimdPath.Vector128);
        paths.Add(SimdPath.Scalar);
        return paths.ToArray();
    }

    /// <summary>One line naming every kernel's path and the worker threads, for benchmark output: "gemm=Vector512 dot-gemm=... threads=2".</summary>
    public static string Describe() =>
        $"gemm={Gemm} dot-gemm={(DotGemm == SimdPath.Scalar ? "off" : DotGemm.ToString())} fused-step={(FusedStep == SimdPath.Scalar ? "off" : FusedStep.ToString())} " +
        $"elementwise={(Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "Scalar")} " +
        $"threads={WorkerPool.Size}";
}
