using System.Globalization;
using Parquet;
using Parquet.Schema;

namespace Xent.Data;

/// <summary>
/// The rows of a Parquet file as cells for <see cref="TableReader"/>, one row group in memory at a time (Parquet.Net reads
/// the columns). Numeric columns of any Parquet numeric type give numbers; strings and booleans give text (so they are
/// labels or categories); a null is an empty cell, which the table rules treat as a missing value. Columns are read only
/// when a cell of theirs is asked for, so ignored columns cost nothing. Errors name the file, the row group and the row.
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

    public ParquetCells(string path)
    {
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
        }
        return true;
    }


    public bool TryNumber(int column, out float value)
    {
        value = 0;
        if (_numbers[column] is not { } numbers) return false;
        Load(column);
        if (!numbers.TryGet(_row, out double v)) return false;
        value = (float)v;
        return double.IsFinite(v) && float.IsFinite(value);
    }

    public string Text(int column)
    {
        Load(column);
        if (_numbers[column] is { } numbers) return numbers.TryGet(_row, out double v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
        return _texts[column]![_row] ?? "";
    }

    private void Load(int column)
    {
        if (_loaded[column]) return;
        if (_numbers[column] is { } numbers) Guard(() => { numbers.Read(_groupReader!, _fields[column], _groupRows); return 0; });
        else Texts(column);
        _loaded[column] = true;
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
