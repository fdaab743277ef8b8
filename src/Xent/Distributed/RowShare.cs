namespace Xent.Distributed;

/// <summary>
/// Which rows of a data set one process of a group takes: data row i (counted from 0 after the header) belongs to
/// process i mod <see cref="Count"/>, so every process holds an interleaved share of about rows / Count rows and no
/// row is held twice. The one place that decides ownership; whole shards (one file per process) would plug in here.
/// </summary>
public readonly record struct RowShare(int Index, int Count)
{
    /// <summary>Every row, for a single process.</summary>
    public static readonly RowShare Whole = new(0, 1);

    /// <summary>The share of process <paramref name="group"/>.Rank.</summary>
    public static RowShare Of(ICollectives group) => new(group.Rank, group.Size);

    public bool Owns(long row) => row % Count == Index;

    /// <summary>The process that holds row <paramref name="row"/>.</summary>
    public static int OwnerOf(long row, int count) => (int)(row % count);

    /// <summary>The index in the whole data set of this share's row <paramref name="localRow"/>.</summary>
    public int GlobalIndex(int localRow) => checked(Index + localRow * Count);

    /// <summary>How many of <paramref name="rows"/> rows this share holds.</summary>
    public int RowsOf(long rows) => (int)((rows - Index + Count - 1) / Count);
}
