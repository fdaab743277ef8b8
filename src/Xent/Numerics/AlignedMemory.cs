namespace Xent.Numerics;

/// <summary>
/// Float buffers that start on a 64-byte boundary. .NET places an array's first element wherever the allocator left off,
/// 8-byte aligned at best; a kernel's vector loads from such a buffer then straddle two cache lines every other load (a
/// 256-bit load) or every load (a 512-bit load), and a split load costs the core two. Measured on the mnist-shaped step's
/// products with AVX2 (AMD EPYC, bench/Xent.Bench --products): 672-685 µs with both operands aligned against 779-791 µs
/// with both 16 bytes off.
/// </summary>
internal static class AlignedMemory
{
    public const int Alignment = 64;

    /// <summary>A zeroed buffer of <paramref name="length"/> floats whose first element is 64-byte aligned: a slice of a pinned array (pinned so that the GC never moves it off the boundary).</summary>
    public static unsafe Memory<float> Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        const int slack = Alignment / sizeof(float) - 1;
        float[] array = GC.AllocateArray<float>(checked(length + slack), pinned: true);
        int offset;
        fixed (float* start = array) offset = (int)((Alignment - ((nint)start & (Alignment - 1))) & (Alignment - 1)) / sizeof(float);
        return array.AsMemory(offset, length);
    }

    /// <summary>Whether the span starts on a 64-byte boundary (tests).</summary>
    public static unsafe bool IsAligned(ReadOnlySpan<float> span)
    {
        fixed (float* start = span) return ((nint)start & (Alignment - 1)) == 0;
    }
}
