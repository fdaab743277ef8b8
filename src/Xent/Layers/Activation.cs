namespace Xent.Layers;

/// <summary>The element-wise nonlinearity a <see cref="Dense"/> layer applies after its affine map.</summary>
public enum Activation
{
    Identity,
    Relu,
    LeakyRelu,
    Softplus,
    Sigmoid,
    Tanh,
}

/// <summary>
/// Forward and backward of each activation, side by side. Backward takes the pre-activation z and the
/// activation y = f(z) (whichever the derivative is cheaper from) and writes zGrad = yGrad · f′(z).
/// </summary>
public static class Activations
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

    // z [n], yGrad [n] -> zGrad [n]: zGrad = z > 0 ? yGrad : 0, a vector select with a scalar tail.
    private static void ReluBackward(ReadOnlySpan<float> z, ReadOnlySpan<float> yGrad, Span<float> zGrad)
    {
        int n = yGrad.Length, i = 0;
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            ref float zr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(z);
            ref float gr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(yGrad);
            ref float outr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(zGrad);
            for (; i <= n - 16; i += 16)
            {
                var zv = System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref zr, (nuint)i);
                var gv = System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref gr, (nuint)i);
                var mask = System.Runtime.Intrinsics.Vector512.GreaterThan(zv, System.Runtime.Intrinsics.Vector512<float>.Zero);
                System.Runtime.Intrinsics.Vector512.StoreUnsafe(System.Runtime.Intrinsics.Vector512.ConditionalSelect(mask, gv, System.Runtime.Intrinsics.Vector512<float>.Zero), ref outr, (nuint)i);
            }
        }
        for (; i < n; i++) zGrad[i] = z[i] > 0 ? yGrad[i] : 0f;
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
                for (int i = 0; i < z.Length; i++) y[i] = z[i] > 0 ? z[i] : LeakySlope * z[i];
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
                ReluBackward(z, yGrad, zGrad);
                break;
            case Activation.LeakyRelu:
                // dy/dz = 1 for z > 0, else slope
                for (int i = 0; i < n; i++) zGrad[i] = z[i] > 0 ? yGrad[i] : LeakySlope * yGrad[i];
                break;
            case Activation.Softplus:
                // dy/dz = sigmoid(z) = 1 / (1 + e^−z)
                for (int i = 0; i < n; i++) zGrad[i] = yGrad[i] / (1 + MathF.Exp(-z[i]));
                break;
            case Activation.Sigmoid:
                // dy/dz = y (1 − y)
                for (int i = 0; i < n; i++) zGrad[i] = yGrad[i] * y[i] * (1 - y[i]);
                break;
            case Activation.Tanh:
                // dy/dz = 1 − y²
                for (int i = 0; i < n; i++) zGrad[i] = yGrad[i] * (1 - y[i] * y[i]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }
}
