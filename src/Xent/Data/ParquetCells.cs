using System.Globalization;
using Parquet;
using Parquet.Schema;

namespace Xent.Data;

/// <summary>
/// The rows of a Parquet file as cells for <see cref="TableReader"/>, one row group in memory at a time (Parquet.Net reads
/// the columns). Numeric columns of any Parquet numeric type give numbers; strings and booleans give text (so they are
/// labels or categories); a null is an empty cell, which the table rules treat as a missing value. Columns are read only
/// when a cell of theirs is asked for, so ignored columns cost nothing. Errors name the file, the row group and the row.
/// <para>
/// Parquet.Net reads a column chunk whole (it has no call for part of one), so a row group in memory costs all its
/// columns at once. With a bound (<c>groupBytes</c>, a streamed pass's share of its limit), a row group that would take
/// more is read a column chunk at a time: each column, when first asked for, is read, written to a spill file cell by
/// cell and dropped, and its cells are then read back in row order through a small buffer, so memory holds one column
/// chunk at a time whatever the row group's size. A column chunk that alone would take more than the bound is an error
/// naming the file, row group, column and size.
/// </para>
/// </summary>
internal sealed class ParquetCells : ICellSource
{
    private readonly string _path;
    private readonly string _fileName;
    private FileStream _stream;
    private ParquetReader _reader;
    private readonly DataField[] _fields;
    private int _group = -1;
    private ParquetRowGroupReader? _groupReader;
    private int _groupRows;
    private int _row = -1;          // within the row group
    private long _rowsBefore;       // rows in the row groups before this one
    // Per column, the current row group's cells; the arrays are kept from one row group to the next (a streamed pass reads
    // many), so memory holds one row group's columns as float64 and a presence flag, not one set of arrays per group.
    private readonly NumberColumn?[] _numbers;     // null for a column of text
    private readonly string?[]?[] _texts;
    private readonly bool[] _loaded;

    private readonly long _groupBytes;
    private readonly string? _spillFolder;
    private Spilled?[]? _spilled;     // per column, while the current row group is read through spill files
    private readonly long[] _chunkBytes;

    /// <summary>Row groups read a column chunk at a time through spill files (for tests and reports).</summary>
    public int SpilledRowGroups { get; private set; }

    public ParquetCells(string path, long groupBytes = long.MaxValue, string? spillFolder = null)
    {
        _groupBytes = groupBytes;
        _spillFolder = spillFolder;
        _path = path;
        _fileName = Path.GetFileName(path);
        (_stream, _reader) = Open();
        DataField[] fields = _reader.Schema.GetDataFields();
        if (_reader.Schema.Fields.Count != fields.Length || fields.Any(f => f.IsArray))
            throw new DataFormatException($"{_fileName}: the file has nested or repeated columns; xent reads flat tables of numbers and text");
        _fields = fields;
        Header = fields.Select(f => f.Name).ToArray();
        _numbers = fields.Select(NumberColumn.For).ToArray();
        _texts = new string?[]?[fields.Length];
        _loaded = new bool[fields.Length];
        _chunkBytes = new long[fields.Length];
    }

    public string[] Header { get; }
    /// <summary>The file's rows, from its footer.</summary>
    public long RowCount => _reader.Metadata?.NumRows ?? 0;
    public string Where => $"{_fileName}, row group {_group + 1}, row {_rowsBefore + _row + 1}";
    public string HeaderWhere => _fileName;
    public int FieldCount => Header.Length;

    private (FileStream, ParquetReader) Open()
    {
        var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try { return (stream, Guard(() => ParquetReader.CreateAsync(stream).GetAwaiter().GetResult())); }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public bool Read()
    {
        while (++_row >= _groupRows)
        {
            if (_group + 1 >= _reader.RowGroupCount) { _row = _groupRows; return false; }
            _groupReader?.Dispose();
            // The previous row group's pages are garbage now, mostly in the large-object heap, which only a full collection
            // frees: without one a pass over many row groups holds several groups' worth (3 M rows × 33 columns in groups of
            // 250,000, --memory-limit 128MB: 318 MB peak RSS without, 250 MB with; the collection costs well under a second).
            if (_group >= 0 && _groupRows >= 65536) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            _rowsBefore += _groupRows;
            _group++;
            _groupReader = Guard(() => _reader.OpenRowGroupReader(_group));
            _groupRows = checked((int)_groupReader.RowCount);
            _row = -1;
            Array.Clear(_loaded);
            CloseSpills();
            long total = 0;
            for (int c = 0; c < _fields.Length; c++) total += _chunkBytes[c] = ChunkBytes(c);
            if (total > _groupBytes)
            {
                _spilled = new Spilled?[_fields.Length];
                SpilledRowGroups++;
            }
        }
        return true;
    }

    // About the memory reading column c of the current row group takes: its cells in their CLR type (a nullable number
    // 16 bytes, a string 40 and two bytes a character) and the decompressed pages Parquet.Net holds while decoding.
    private long ChunkBytes(int column)
    {
        DataField field = _fields[column];
        long pages = Guard(() => _groupReader!.GetMetadata(field)?.MetaData?.TotalUncompressedSize ?? 0);
        return _numbers[column] is null ? _groupRows * 40L + 3 * pages : _groupRows * 16L + pages;
    }


    public bool TryNumber(int column, out float value)
    {
        value = 0;
        if (_numbers[column] is not { } numbers) return false;
        Load(column);
        double v;
        if (_spilled is not null)
        {
            Spilled cell = _spilled[column]!.At(_row);
            if (!cell.Present) return false;
            v = cell.Number;
        }
        else if (!numbers.TryGet(_row, out v)) return false;
        value = (float)v;
        return double.IsFinite(v) && float.IsFinite(value);
    }

    public string Text(int column)
    {
        Load(column);
        if (_spilled is not null)
        {
            Spilled cell = _spilled[column]!.At(_row);
            return !cell.Present ? "" : _numbers[column] is null ? cell.Text! : cell.Number.ToString("R", CultureInfo.InvariantCulture);
        }
        if (_numbers[column] is { } numbers) return numbers.TryGet(_row, out double v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
        return _texts[column]![_row] ?? "";
    }

    private void Load(int column)
    {
        if (_loaded[column]) return;
        if (_spilled is not null && _chunkBytes[column] > _groupBytes)
            throw new DataFormatException($"{_fileName}, row group {_group + 1}, column '{_fields[column].Name}': the column chunk takes about {Megabytes(_chunkBytes[column])} to read ({_groupRows} rows), more than the {Megabytes(_groupBytes)} a row group may take under StreamingData.MemoryLimitBytes (a quarter of it); raise StreamingData.MemoryLimitBytes, or write the file with smaller row groups");
        if (_numbers[column] is { } numbers) Guard(() => { numbers.Read(_groupReader!, _fields[column], _groupRows); return 0; });
        else Texts(column);
        _loaded[column] = true;
        if (_spilled is not null) _spilled[column] = Spill(column);
    }

    private static string Megabytes(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    // Writes the current row group's column to a spill file (a presence byte, then a float64 or a string, per cell), drops
    // the column's arrays and opens the file to be read back in row order.
    private Spilled Spill(int column)
    {
        string path = Path.Combine(_spillFolder ?? Path.GetTempPath(), $"spill-{Environment.ProcessId}-{Guid.NewGuid():N}.cells");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            using (var writer = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                for (int r = 0; r < _groupRows; r++)
                {
                    if (_numbers[column] is { } numbers)
                    {
                        bool present = numbers.TryGet(r, out double v);
                        writer.Write(present);
                        if (present) writer.Write(v);
                    }
                    else
                    {
                        string? text = _texts[column]![r];
                        writer.Write(text is not null);
                        if (text is not null) writer.Write(text);
                    }
                }
            }
            file.Position = 0;
            _numbers[column]?.Release();
            _texts[column] = null;
            // The column's arrays are garbage now, mostly in the large-object heap, which only a full collection frees.
            if (_chunkBytes[column] >= 1 << 20) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            return new Spilled(file, _numbers[column] is null);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private void CloseSpills()
    {
        if (_spilled is null) return;
        foreach (Spilled? spilled in _spilled) spilled?.Dispose();
        _spilled = null;
    }

    /// <summary>A spilled column read back in row order: the cell of the row last asked for.</summary>
    private sealed class Spilled(FileStream file, bool text) : IDisposable
    {
        private readonly BinaryReader _reader = new(file, System.Text.Encoding.UTF8, leaveOpen: false);
        private int _at = -1;

        public bool Present { get; private set; }
        public double Number { get; private set; }
        public string? Text { get; private set; }

        // Rows only go forward, and a column may be skipped for some rows (a dropped row's cells are not read).
        public Spilled At(int row)
        {
            while (_at < row)
            {
                Present = _reader.ReadBoolean();
                if (Present && text) Text = _reader.ReadString();
                else if (Present) Number = _reader.ReadDouble();
                _at++;
            }
            return this;
        }

        public void Dispose() => _reader.Dispose();
    }

    /// <summary>
    /// One numeric column of the current row group as Parquet.Net reads it (T, or T? when the column may hold nulls), kept
    /// from one row group to the next and converted to float64 cell by cell: memory holds the column in its own type only.
    /// </summary>
    private abstract class NumberColumn
    {
        public abstract void Read(ParquetRowGroupReader reader, DataField field, int rows);
        /// <summary>The cell's value; false for a null.</summary>
        public abstract bool TryGet(int row, out double value);
        /// <summary>Drops the arrays (after a spill), so the memory of one column chunk is held at a time.</summary>
        public abstract void Release();

        public static NumberColumn? For(DataField field)
        {
            Type type = field.ClrType;
            return type == typeof(double) ? new Of<double>() : type == typeof(float) ? new Of<float>() : type == typeof(int) ? new Of<int>()
                : type == typeof(long) ? new Of<long>() : type == typeof(short) ? new Of<short>() : type == typeof(byte) ? new Of<byte>()
                : type == typeof(sbyte) ? new Of<sbyte>() : type == typeof(ushort) ? new Of<ushort>() : type == typeof(uint) ? new Of<uint>()
                : type == typeof(ulong) ? new Of<ulong>() : type == typeof(decimal) ? new Of<decimal>() : null;
        }

        private sealed class Of<T> : NumberColumn where T : struct, System.Numerics.INumberBase<T>
        {
            private T[] _values = [];
            private T?[] _nullable = [];
            private bool _isNullable;

            public override void Read(ParquetRowGroupReader reader, DataField field, int rows)
            {
                _isNullable = field.IsNullable;
                if (_isNullable)
                {
                    if (_nullable.Length < rows) _nullable = new T?[rows];
                    reader.ReadAsync<T>(field, _nullable.AsMemory(0, rows), null, default).GetAwaiter().GetResult();
                }
                else
                {
                    if (_values.Length < rows) _values = new T[rows];
                    reader.ReadAsync<T>(field, _values.AsMemory(0, rows), null, default).GetAwaiter().GetResult();
                }
            }

            public override void Release() => (_values, _nullable) = ([], []);

            public override bool TryGet(int row, out double value)
            {
                T? cell = _isNullable ? _nullable[row] : _values[row];
                value = cell is T v ? double.CreateTruncating(v) : 0;
                return cell.HasValue;
            }
        }
    }

    private void Texts(int column)
    {
        DataField field = _fields[column];
        if (_texts[column] is not { } texts || texts.Length != _groupRows) _texts[column] = texts = new string?[_groupRows];
        if (field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>))
            Guard(() => { _groupReader!.ReadAsync(field, texts.AsMemory(), null, default).GetAwaiter().GetResult(); return 0; });
        else if (field.ClrType == typeof(bool))
        {
            var values = new bool?[_groupRows];
            Guard(() => { _groupReader!.ReadAsync<bool>(field, values.AsMemory(), null, default).GetAwaiter().GetResult(); return 0; });
            for (int i = 0; i < texts.Length; i++) texts[i] = values[i] is bool b ? (b ? "true" : "false") : null;
        }
        else
            throw new DataFormatException($"{_fileName}, row group {_group + 1}, column '{field.Name}': the Parquet type {field.ClrType.Name} is not one xent reads (numbers, strings, booleans); drop the column with CsvOptions.Ignore");
    }

    public long BytesRead => _stream.Position;

    public void Restart()
    {
        Dispose();
        SpilledRowGroups = 0;
        (_stream, _reader) = Open();
        _group = -1;
        _groupReader = null;
        _groupRows = 0;
        _row = -1;
        _rowsBefore = 0;
        Array.Clear(_loaded);
    }

    public void Dispose()
    {
        CloseSpills();
        _groupReader?.Dispose();
        _reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _stream.Dispose();
    }

    // Parquet.Net reports a damaged file with several exception types; each becomes one line naming the file.
    private T Guard<T>(Func<T> body)
    {
        try { return body(); }
        catch (Exception e) when (e is not DataFormatException and not OutOfMemoryException and not OperationCanceledException)
        {
            string where = _group >= 0 ? $", row group {_group + 1}" : "";
            throw new DataFormatException($"{_fileName}{where}: not a readable Parquet file ({e.Message.ReplaceLineEndings(" ").TrimEnd('.')})");
        }
    }
}
