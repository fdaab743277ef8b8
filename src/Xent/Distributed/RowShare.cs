namespace Xent.Distributed;

/// <summary>
/// Which rows of a data set one process of a group takes: data row i (counted from 0 after the header) belongs to
/// process i mod <see cref="Count"/>, so every process holds an interleaved share of about rows / Count rows and no
/// row is held twice. The one place that decides ownership; whole shards (one file per process) would plug in here.
/// </summary>
/// <param name="Index">This process's number, 0 … Count − 1.</param>
/// <param name="Count">The number of processes sharing the rows.</param>
public readonly record struct RowShare(int Index, int Count)
{
    /// <summary>Every row, for a single process.</summary>
    public static readonly RowShare Whole = new(0, 1);

    /// <summary>The share of process <paramref name="group"/>.Rank.</summary>
    /// <param name="group">The processes of the run.</param>
    /// <returns>The share of this process.</returns>
    public static RowShare Of(ICollectives group) => new(group.Rank, group.Size);

    /// <summary>Whether data row <paramref name="row"/> (0-based) belongs to this share.</summary>
    /// <param name="row">A data row's index in the whole data set.</param>
    /// <returns>True when row mod Count is Index.</returns>
    public bool Owns(long row) => row % Count == Index;

    /// <summary>The process that holds row <paramref name="row"/>.</summary>
    /// <param name="row">A data row's index in the whole data set.</param>
    /// <param name="count">The number of processes.</param>
    /// <returns>The rank that holds the row.</returns>
    public static int OwnerOf(long row, int count) => (int)(row % count);

    /// <summary>The index in the whole data set of this share's row <paramref name="localRow"/>.</summary>
    /// <param name="localRow">A row's index among this share's rows.</param>
    /// <returns>Its index in the whole data set.</returns>
    public int GlobalIndex(int localRow) => checked(Index + localRow * Count);

    /// <summary>How many of <paramref name="rows"/> rows this share holds.</summary>
    /// <param name="rows">The number of rows of the whole data set.</param>
    /// <returns>The number that belong to this share.</returns>
    public int RowsOf(long rows) => (int)((rows - Index + Count - 1) / Count);
}
