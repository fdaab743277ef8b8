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
    private readonly double?[]?[] _numbers;
    private readonly string?[]?[] _texts;

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
        _numbers = new double?[]?[fields.Length];
        _texts = new string?[]?[fields.Length];
    }

    public string[] Header { get; }
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
            _rowsBefore += _groupRows;
            _group++;
            _groupReader = Guard(() => _reader.OpenRowGroupReader(_group));
            _groupRows = checked((int)_groupReader.RowCount);
            _row = -1;
            Array.Clear(_numbers);
            Array.Clear(_texts);
        }
        return true;
    }

    public bool TryNumber(int column, out float value)
    {
        value = 0;
        if (Numbers(column) is not { } numbers || numbers[_row] is not double v) return false;
        value = (float)v;
        return double.IsFinite(v) && float.IsFinite(value);
    }

    public string Text(int column)
    {
        if (Numbers(column) is { } numbers) return numbers[_row] is double v ? v.ToString("R", CultureInfo.InvariantCulture) : "";
        return Texts(column)[_row] ?? "";
    }

    private double?[]? Numbers(int column)
    {
        if (_numbers[column] is { } loaded) return loaded;
        DataField field = _fields[column];
        Type type = field.ClrType;
        double?[]? numbers =
            type == typeof(double) ? Load<double>(field, x => x)
            : type == typeof(float) ? Load<float>(field, x => x)
            : type == typeof(int) ? Load<int>(field, x => x)
            : type == typeof(long) ? Load<long>(field, x => x)
            : type == typeof(short) ? Load<short>(field, x => x)
            : type == typeof(byte) ? Load<byte>(field, x => x)
            : type == typeof(sbyte) ? Load<sbyte>(field, x => x)
            : type == typeof(ushort) ? Load<ushort>(field, x => x)
            : type == typeof(uint) ? Load<uint>(field, x => x)
            : type == typeof(ulong) ? Load<ulong>(field, x => x)
            : type == typeof(decimal) ? Load<decimal>(field, x => (double)x)
            : null;
        return _numbers[column] = numbers;
    }

    private double?[] Load<T>(DataField field, Func<T, double> convert) where T : struct
    {
        var values = new T?[_groupRows];
        Guard(() => { _groupReader!.ReadAsync<T>(field, values.AsMemory(), null, default).GetAwaiter().GetResult(); return 0; });
        var numbers = new double?[_groupRows];
        for (int i = 0; i < numbers.Length; i++) numbers[i] = values[i] is T v ? convert(v) : null;
        return numbers;
    }

    private string?[] Texts(int column)
    {
        if (_texts[column] is { } loaded) return loaded;
        DataField field = _fields[column];
        var texts = new string?[_groupRows];
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
        return _texts[column] = texts;
    }

    public void Restart()
    {
        Dispose();
        (_stream, _reader) = Open();
        _group = -1;
        _groupReader = null;
        _groupRows = 0;
        _row = -1;
        _rowsBefore = 0;
        Array.Clear(_numbers);
        Array.Clear(_texts);
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
