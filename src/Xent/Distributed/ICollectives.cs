namespace Xent.Distributed;

/// <summary>
/// The collective operations that data-parallel training needs, over a fixed group of <see cref="Size"/> processes
/// numbered 0 … Size − 1. Every process must make the same calls in the same order with the same lengths; a call
/// returns on a process once that process's part is done. <see cref="SingleProcess"/> is the group of one (every
/// operation a no-op); <see cref="OpenMpi"/> runs them on Open MPI. Another engine (NCCL, Gloo) fits behind this interface.
/// </summary>
public interface ICollectives
{
    /// <summary>This process's number in the group, 0 … Size − 1.</summary>
    int Rank { get; }

    /// <summary>The number of processes in the group.</summary>
    int Size { get; }

    /// <summary>values ← Σ over processes of values, element by element; every process receives the same result.</summary>
    /// <param name="values">This process's values in; the sums out.</param>
    void AllReduceSum(Span<float> values);

    /// <inheritdoc cref="AllReduceSum(Span{float})"/>
    /// <param name="values">This process's values in; the sums out.</param>
    void AllReduceSum(Span<double> values);

    /// <inheritdoc cref="AllReduceSum(Span{float})"/>
    /// <param name="values">This process's values in; the sums out.</param>
    void AllReduceSum(Span<int> values);

    /// <summary>values ← the values of process <paramref name="root"/>, on every process.</summary>
    /// <param name="values">The root's values to send, or the buffer that receives them on the other processes.</param>
    /// <param name="root">The rank whose values every process receives.</param>
    void Broadcast(Span<byte> values, int root);

    /// <inheritdoc cref="Broadcast(Span{byte}, int)"/>
    /// <param name="values">The root's values to send, or the buffer that receives them on the other processes.</param>
    /// <param name="root">The rank whose values every process receives.</param>
    void Broadcast(Span<float> values, int root);

    /// <summary>Ends every process of the group with <paramref name="exitCode"/>; does not return.</summary>
    /// <param name="exitCode">The exit code of every process.</param>
    void Abort(int exitCode);
}

/// <summary>The group of one process: reductions and broadcasts leave the values as they are.</summary>
public sealed class SingleProcess : ICollectives
{
    /// <summary>The one instance.</summary>
    public static readonly SingleProcess Instance = new();

    private SingleProcess()
    {
    }

    /// <inheritdoc/>
    public int Rank => 0;
    /// <inheritdoc/>
    public int Size => 1;
    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values) { }
    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values) { }
    /// <inheritdoc/>
    public void AllReduceSum(Span<int> values) { }
    /// <inheritdoc/>
    public void Broadcast(Span<byte> values, int root) { }
    /// <inheritdoc/>
    public void Broadcast(Span<float> values, int root) { }
    /// <inheritdoc/>
    public void Abort(int exitCode) => Environment.Exit(exitCode);
}

/// <summary>Collectives built on the primitives.</summary>
internal static class CollectiveExtensions
{
    /// <summary>Every process's list of strings, in rank order (each process broadcasts its own in turn).</summary>
    public static string[][] AllGather(this ICollectives group, IReadOnlyList<string> mine)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', mine.Select(s => s.Replace('\n', ' '))));
        return group.AllGather(bytes).Select(b => System.Text.Encoding.UTF8.GetString(b) is { Length: > 0 } text ? text.Split('\n') : []).ToArray();
    }

    /// <summary>
    /// Every process's bytes, in rank order: each process in turn broadcasts its length, then its bytes, so this takes
    /// 2 × Size broadcasts; meant for the few exchanges of a run's start (names, category tables), not for every step.
    /// </summary>
    public static byte[][] AllGather(this ICollectives group, ReadOnlySpan<byte> mine)
    {
        var all = new byte[group.Size][];
        Span<byte> length = stackalloc byte[sizeof(int)];
        for (int root = 0; root < group.Size; root++)
        {
            byte[] bytes = root == group.Rank ? mine.ToArray() : [];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            group.Broadcast(length, root);
            if (root != group.Rank) bytes = new byte[System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(length)];
            group.Broadcast(bytes, root);
            all[root] = bytes;
        }
        return all;
    }
}
