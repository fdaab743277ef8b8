using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Xent.Numerics;

namespace Xent.Layers;

/// <summary>
/// Forward and backward of each activation, side by side. Backward takes the pre-activation z and the
/// activation y = f(z) (whichever the derivative is cheaper from) and writes zGrad = yGrad · f′(z).
/// </summary>
internal static class Activations
{
    /// <summary>Slope of <see cref="Activation.LeakyRelu"/> for negative inputs (PyTorch's default).</summary>
    public const float LeakySlope = 0.01f;

    public static bool IsReluFamily(Activation activation) => activation is Activation.Relu or Activation.LeakyRelu;

    /// <summary>Parses a name such as "relu", "leaky-relu", "tanh" (case-insensitive).</summary>
    public static bool TryParse(string? text, out Activation activation)
    {
        string key = (text ?? "").Trim().Replace("-", "").Replace("_", "").ToLowerInvariant();
        (bool ok, activation) = key switch
        {
            "identity" or "linear" or "none" => (true, Activation.Identity),
            "relu" => (true, Activation.Relu),
            "leakyrelu" => (true, Activation.LeakyRelu),
            "softplus" => (true, Activation.Softplus),
            "sigmoid" or "logistic" => (true, Activation.Sigmoid),
            "tanh" => (true, Activation.Tanh),
            _ => (false, Activation.Identity),
        };
        return ok;
    }

    // z [n] -> y [n]
    public static void Forward(Activation activation, ReadOnlySpan<float> z, Span<float> y)
    {
        if (y.Length < z.Length) throw new ArgumentException("destination is shorter than the source", nameof(y));
        switch (activation)
        {
            case Activation.Identity:
                z.CopyTo(y);
                break;
            case Activation.Relu:
                // y = max(0, z)
                System.Numerics.Tensors.TensorPrimitives.Max(z, 0f, y);
                break;
            case Activation.LeakyRelu:
                // y = z for z > 0, slope·z otherwise
                Elementwise.Run(new LeakyRelu(), z.Length, Elementwise.ReadOnly(z), y);
                break;
            case Activation.Softplus:
                // y = log(1 + e^z) = max(z, 0) + log(1 + e^−|z|), exact for large |z|
                for (int i = 0; i < z.Length; i++) y[i] = MathF.Max(z[i], 0) + MathF.Log(1 + MathF.Exp(-MathF.Abs(z[i])));
                break;
            case Activation.Sigmoid:
                // y = 1 / (1 + e^−z)
                System.Numerics.Tensors.TensorPrimitives.Sigmoid(z, y);
                break;
            case Activation.Tanh:
                System.Numerics.Tensors.TensorPrimitives.Tanh(z, y);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    // z [n], y [n], yGrad [n] -> zGrad [n]
    public static void Backward(Activation activation, ReadOnlySpan<float> z, ReadOnlySpan<float> y, ReadOnlySpan<float> yGrad, Span<float> zGrad)
    {
        int n = yGrad.Length;
        switch (activation)
        {
            case Activation.Identity:
                // dy/dz = 1
                yGrad.CopyTo(zGrad);
                break;
            case Activation.Relu:
                // dy/dz = 1 for z > 0, else 0
                Elementwise.Run(new ReluBackward(), n, Elementwise.ReadOnly(z), Elementwise.ReadOnly(yGrad), zGrad);
                break;
            case Activation.LeakyRelu:
                // dy/dz = 1 for z > 0, else slope
                Elementwise.Run(new LeakyReluBackward(), n, Elementwise.ReadOnly(z), Elementwise.ReadOnly(yGrad), zGrad);
                break;
            case Activation.Softplus:
                // dy/dz = sigmoid(z) = 1 / (1 + e^−z)
                for (int i = 0; i < n; i++) zGrad[i] = yGrad[i] / (1 + MathF.Exp(-z[i]));
                break;
            case Activation.Sigmoid:
                // dy/dz = y (1 − y)
                Elementwise.Run(new SigmoidBackward(), n, Elementwise.ReadOnly(y), Elementwise.ReadOnly(yGrad), zGrad);
                break;
            case Activation.Tanh:
                // dy/dz = 1 − y²
                Elementwise.Run(new TanhBackward(), n, Elementwise.ReadOnly(y), Elementwise.ReadOnly(yGrad), zGrad);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    // The element-wise pieces above, each written once per width for Elementwise.Run. Streams: the source (z, or y where the
    // derivative is cheaper from y), then yGrad, then the destination. Comparisons with NaN are false, so a NaN z takes
    // the "else" side at every width, as in the scalar form.

    // (z) -> y: z > 0 ? z : slope·z
    private readonly struct LeakyRelu : IElementwiseOperator
    {
        public static int Reads => 0b001;
        public static int Writes => 0b010;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref float z, ref float y, ref float unused2, ref float unused3) => y = z > 0 ? z : LeakySlope * z;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector128<float> z, ref Vector128<float> y, ref Vector128<float> unused2, ref Vector128<float> unused3) =>
            y = Vector128.ConditionalSelect(Vector128.GreaterThan(z, Vector128<float>.Zero), z, Vector128.Create(LeakySlope) * z);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector256<float> z, ref Vector256<float> y, ref Vector256<float> unused2, ref Vector256<float> unused3) =>
            y = Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<float>.Zero), z, Vector256.Create(LeakySlope) * z);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector512<float> z, ref Vector512<float> y, ref Vector512<float> unused2, ref Vector512<float> unused3) =>
            y = Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), z, Vector512.Create(LeakySlope) * z);
    }

    // (z, yGrad) -> zGrad: z > 0 ? yGrad : 0
    private readonly struct ReluBackward : IElementwiseOperator
    {
        public static int Reads => 0b011;
        public static int Writes => 0b100;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref float z, ref float yGrad, ref float zGrad, ref float unused3) => zGrad = z > 0 ? yGrad : 0f;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector128<float> z, ref Vector128<float> yGrad, ref Vector128<float> zGrad, ref Vector128<float> unused3) =>
            zGrad = Vector128.ConditionalSelect(Vector128.GreaterThan(z, Vector128<float>.Zero), yGrad, Vector128<float>.Zero);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector256<float> z, ref Vector256<float> yGrad, ref Vector256<float> zGrad, ref Vector256<float> unused3) =>
            zGrad = Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<float>.Zero), yGrad, Vector256<float>.Zero);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector512<float> z, ref Vector512<float> yGrad, ref Vector512<float> zGrad, ref Vector512<float> unused3) =>
            zGrad = Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), yGrad, Vector512<float>.Zero);
    }

    // (z, yGrad) -> zGrad: z > 0 ? yGrad : slope·yGrad
    private readonly struct LeakyReluBackward : IElementwiseOperator
    {
        public static int Reads => 0b011;
        public static int Writes => 0b100;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref float z, ref float yGrad, ref float zGrad, ref float unused3) => zGrad = z > 0 ? yGrad : LeakySlope * yGrad;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector128<float> z, ref Vector128<float> yGrad, ref Vector128<float> zGrad, ref Vector128<float> unused3) =>
            zGrad = Vector128.ConditionalSelect(Vector128.GreaterThan(z, Vector128<float>.Zero), yGrad, Vector128.Create(LeakySlope) * yGrad);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector256<float> z, ref Vector256<float> yGrad, ref Vector256<float> zGrad, ref Vector256<float> unused3) =>
            zGrad = Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<float>.Zero), yGrad, Vector256.Create(LeakySlope) * yGrad);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector512<float> z, ref Vector512<float> yGrad, ref Vector512<float> zGrad, ref Vector512<float> unused3) =>
            zGrad = Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), yGrad, Vector512.Create(LeakySlope) * yGrad);
    }

    // (y, yGrad) -> zGrad: yGrad·y·(1 − y), rounded in that order
    private readonly struct SigmoidBackward : IElementwiseOperator
    {
        public static int Reads => 0b011;
        public static int Writes => 0b100;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref float y, ref float yGrad, ref float zGrad, ref float unused3) => zGrad = yGrad * y * (1 - y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector128<float> y, ref Vector128<float> yGrad, ref Vector128<float> zGrad, ref Vector128<float> unused3) => zGrad = yGrad * y * (Vector128<float>.One - y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector256<float> y, ref Vector256<float> yGrad, ref Vector256<float> zGrad, ref Vector256<float> unused3) => zGrad = yGrad * y * (Vector256<float>.One - y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector512<float> y, ref Vector512<float> yGrad, ref Vector512<float> zGrad, ref Vector512<float> unused3) => zGrad = yGrad * y * (Vector512<float>.One - y);
    }

    // (y, yGrad) -> zGrad: yGrad·(1 − y²)
    private readonly struct TanhBackward : IElementwiseOperator
    {
        public static int Reads => 0b011;
        public static int Writes => 0b100;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public void Invoke(ref float y, ref float yGrad, ref float zGrad, ref float unused3) => zGrad = yGrad * (1 - y * y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector128<float> y, ref Vector128<float> yGrad, ref Vector128<float> zGrad, ref Vector128<float> unused3) => zGrad = yGrad * (Vector128<float>.One - y * y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector256<float> y, ref Vector256<float> yGrad, ref Vector256<float> zGrad, ref Vector256<float> unused3) => zGrad = yGrad * (Vector256<float>.One - y * y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector512<float> y, ref Vector512<float> yGrad, ref Vector512<float> zGrad, ref Vector512<float> unused3) => zGrad = yGrad * (Vector512<float>.One - y * y);
    }
}
