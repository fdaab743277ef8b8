using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Xent.Data;

/// <summary>
/// Rows of a data set on disk in blocks of a fixed number of rows, so training can read them a block at a time at
/// bounded memory. Layout (little-endian):
/// <code>
/// header (32 bytes): "XENTROWS" | version u32 = 1 | features u32 | rows per block u32 | reserved u32 | rows u64
/// block b:           features f32 [n, features] | labels i32 [n]     (n = rows per block; the last block may be short)
/// </code>
/// Block b starts at 32 + b × rowsPerBlock × (features + 1) × 4. The file is written under a temporary name and renamed
/// when complete (<see cref="RowCacheWriter"/>), so a cache that exists is whole.
/// </summary>
internal sealed class RowCache : IDisposable
{
    internal const int HeaderBytes = 32;
    internal static ReadOnlySpan<byte> Magic => "XENTROWS"u8;

    private readonly SafeFileHandle _file;

    private RowCache(string path, SafeFileHandle file, int featureCount, int rowsPerBlock, long rowCount)
    {
        Path = path;
        _file = file;
        FeatureCount = featureCount;
        RowsPerBlock = rowsPerBlock;
        RowCount = rowCount;
    }

    public string Path { get; }
    public int FeatureCount { get; }
    public int RowsPerBlock { get; }
    public long RowCount { get; }
    public int BlockCount => (int)((RowCount + RowsPerBlock - 1) / RowsPerBlock);

    /// <summary>Rows in block <paramref name="block"/> (all but the last hold <see cref="RowsPerBlock"/>).</summary>
    public int RowsIn(int block) => (int)Math.Min(RowsPerBlock, RowCount - (long)block * RowsPerBlock);

    /// <exception cref="DataFormatException">The file is not a complete row cache.</exception>
    public static RowCache Open(string path)
    {
        SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            Span<byte> header = stackalloc byte[HeaderBytes];
            if (RandomAccess.Read(file, header, 0) != HeaderBytes || !header[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) != 1)
                throw new DataFormatException($"{System.IO.Path.GetFileName(path)}: not a Xent row cache");
            int features = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(header[12..]));
            int perBlock = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(header[16..]));
            long rows = checked((long)BinaryPrimitives.ReadUInt64LittleEndian(header[24..]));
            if (features <= 0 || perBlock <= 0 || RandomAccess.GetLength(file) != HeaderBytes + rows * (features + 1L) * 4)
                throw new DataFormatException($"{System.IO.Path.GetFileName(path)}: the row cache is damaged (its length does not match its header)");
            return new RowCache(path, file, features, perBlock, rows);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    // -> features [n, FeatureCount], labels [n] for n = RowsIn(block); reads straight into the caller's buffers
    public void ReadBlock(int block, Span<float> features, Span<int> labels)
    {
        int n = RowsIn(block);
        long offset = HeaderBytes + (long)block * RowsPerBlock * (FeatureCount + 1) * 4;
        ReadExactly(MemoryMarshal.AsBytes(features[..(n * FeatureCount)]), offset);
        ReadExactly(MemoryMarshal.AsBytes(labels[..n]), offset + (long)n * FeatureCount * 4);
    }

    private void ReadExactly(Span<byte> destination, long offset)
    {
        while (destination.Length > 0)
        {
            int read = RandomAccess.Read(_file, destination, offset);
            if (read <= 0) throw new EndOfStreamException($"{System.IO.Path.GetFileName(Path)}: the row cache ended early");
            destination = destination[read..];
            offset += read;
        }
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>Writes a <see cref="RowCache"/> row by row: a block is buffered, then appended; <see cref="Complete"/> renames the finished file into place.</summary>
internal sealed class RowCacheWriter : IDisposable
{
    private readonly string _path;
    private readonly string _temporary;
    private readonly FileStream _stream;
    private readonly int _features;
    private readonly int _rowsPerBlock;
    private readonly float[] _blockFeatures;
    private readonly int[] _blockLabels;
    private int _inBlock;
    private long _rows;
    private bool _done;

    public RowCacheWriter(string path, int featureCount, int rowsPerBlock)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowsPerBlock);
        _path = System.IO.Path.GetFullPath(path);
        _temporary = _path + $".{Environment.ProcessId}.tmp";
        _features = featureCount;
        _rowsPerBlock = rowsPerBlock;
        _blockFeatures = new float[rowsPerBlock * featureCount];
        _blockLabels = new int[rowsPerBlock];
        _stream = new FileStream(_temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        _stream.Write(new byte[RowCache.HeaderBytes]);
    }

    public long RowCount => _rows;

    // row [featureCount]
    public void Add(ReadOnlySpan<float> row, int label)
    {
        if (row.Length != _features) throw new ArgumentException($"a row of the cache has {_features} features, got {row.Length}", nameof(row));
        row.CopyTo(_blockFeatures.AsSpan(_inBlock * _features, _features));
        _blockLabels[_inBlock++] = label;
        _rows++;
        if (_inBlock == _rowsPerBlock) Flush();
    }

    private void Flush()
    {
        _stream.Write(MemoryMarshal.AsBytes(_blockFeatures.AsSpan(0, _inBlock * _features)));
        _stream.Write(MemoryMarshal.AsBytes(_blockLabels.AsSpan(0, _inBlock)));
        _inBlock = 0;
    }

    /// <summary>Writes the last block and the header, and renames the file into place.</summary>
    public void Complete()
    {
        if (_inBlock > 0) Flush();
        Span<byte> header = stackalloc byte[RowCache.HeaderBytes];
        header.Clear();
        RowCache.Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)_features);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)_rowsPerBlock);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], (ulong)_rows);
        _stream.Position = 0;
        _stream.Write(header);
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(_temporary, _path, overwrite: true);
        _done = true;
    }

    /// <summary>Closes the file; an incomplete one is deleted.</summary>
    public void Dispose()
    {
        _stream.Dispose();
        if (!_done) try { File.Delete(_temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
