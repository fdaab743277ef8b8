using System.Text.RegularExpressions;

namespace Xent.Data;

/// <summary>The format of one file of a <see cref="DataSource"/>, told by its extension (.parquet; anything else is CSV).</summary>
public enum ShardFormat
{
    /// <summary>Text with a header row and a delimiter (RFC 4180).</summary>
    Csv,
    /// <summary>Apache Parquet: flat columns of numbers, strings or booleans.</summary>
    Parquet,
}

/// <summary>
/// Where a data set's rows are: one CSV or Parquet file, every .csv and .parquet file in a folder, or the files a glob
/// ('data/part-*.parquet') matches, in ordinal order of their names. All shards are read as one data set: each must have
/// the columns of the first (in any order; a column the first lacks, or one it lacks, is an error naming the shard).
/// </summary>
public sealed class DataSource
{
    private DataSource(string given, IReadOnlyList<string> files)
    {
        Given = given;
        Files = files;
    }

    /// <summary>The path or glob as the user gave it.</summary>
    public string Given { get; }

    /// <summary>The shards' full paths, in reading order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>The name used at the start of messages about the whole source: the file's name for one file, else what was given.</summary>
    public string DisplayName => Files.Count == 1 && !IsPattern(Given) && !Directory.Exists(Given) ? Path.GetFileName(Files[0]) : Given;

    /// <summary>The total size of the shards in bytes.</summary>
    public long Bytes => Files.Sum(f => new FileInfo(f).Length);

    /// <summary>The format a shard is read as, from its extension.</summary>
    /// <param name="path">A shard's path.</param>
    /// <returns><see cref="ShardFormat.Parquet"/> for a .parquet file (any case), else <see cref="ShardFormat.Csv"/>.</returns>
    public static ShardFormat FormatOf(string path) =>
        Path.GetExtension(path).Equals(".parquet", StringComparison.OrdinalIgnoreCase) ? ShardFormat.Parquet : ShardFormat.Csv;

    /// <summary>Resolves a file, a folder or a glob (wildcards * and ? in the file name part only) to its shards.</summary>
    /// <exception cref="DataFormatException">Nothing is there, a folder holds no data files, or a glob matches none; the message names what was given.</exception>
    /// <param name="pathOrGlob">A file, a folder, or a path whose file name holds * or ?.</param>
    /// <returns>The source with its shards in reading order.</returns>
    public static DataSource Open(string pathOrGlob)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathOrGlob);
        if (IsPattern(pathOrGlob))
        {
            string folder = Path.GetDirectoryName(pathOrGlob) is { Length: > 0 } d ? d : ".";
            string pattern = Path.GetFileName(pathOrGlob);
            if (IsPattern(folder)) throw new DataFormatException($"{pathOrGlob}: wildcards may only stand in the file name, not in the folder");
            if (!Directory.Exists(folder)) throw new DataFormatException($"{pathOrGlob}: the folder {folder} does not exist");
            var regex = new Regex("^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.CultureInvariant);
            string[] matches = Directory.EnumerateFiles(folder).Where(f => regex.IsMatch(Path.GetFileName(f))).Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToArray();
            if (matches.Length == 0) throw new DataFormatException($"{pathOrGlob}: the pattern matches no file");
            return new DataSource(pathOrGlob, matches);
        }
        if (Directory.Exists(pathOrGlob))
        {
            string[] files = Directory.EnumerateFiles(pathOrGlob)
                .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".csv" or ".parquet" && !Path.GetFileName(f).StartsWith('.'))
                .Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new DataFormatException($"{pathOrGlob} is a folder with no .csv or .parquet files; give a file, a folder of shards or a pattern");
            return new DataSource(pathOrGlob, files);
        }
        if (!File.Exists(pathOrGlob)) throw new DataFormatException($"{pathOrGlob}: no such file");
        return new DataSource(pathOrGlob, [Path.GetFullPath(pathOrGlob)]);
    }

    /// <summary>Whether a path holds a wildcard (* or ?), so that it names shards rather than one file.</summary>
    /// <param name="path">A path as given.</param>
    /// <returns>True when the path holds * or ?.</returns>
    public static bool IsPattern(string path) => path.IndexOfAny(['*', '?']) >= 0;

    // The cells of every shard, one after the other, under the first shard's header.
    // The cells of every shard, one after the other, under the first shard's header; with a row share, only its rows
    // (counted across all shards, so that each row of the whole data set has exactly one owner).
    internal ICellSource OpenCells(CsvOptions options)
    {
        ICellSource cells = Files.Count == 1 ? OpenShard(Files[0], options) : new ShardedCells(this, options);
        return options.Share is { Count: > 1 } share ? new SharedCells(cells, share) : cells;
    }

    /// <summary>The records a row share owns; the others are read past (tokenised, never parsed).</summary>
    private sealed class SharedCells(ICellSource inner, Distributed.RowShare share) : ICellSource
    {
        private long _record;
        public string[] Header => inner.Header;
        public string Where => inner.Where;
        public string HeaderWhere => inner.HeaderWhere;
        public int FieldCount => inner.FieldCount;

        public bool Read()
        {
            bool more;
            do more = inner.Read();
            while (more && !share.Owns(_record++));
            return more;
        }

        public bool TryNumber(int column, out float value) => inner.TryNumber(column, out value);
        public string Text(int column) => inner.Text(column);
        public long BytesRead => inner.BytesRead;

        public void Restart()
        {
            inner.Restart();
            _record = 0;
        }

        public void Dispose() => inner.Dispose();
    }

    internal static ICellSource OpenShard(string path, CsvOptions options) => FormatOf(path) switch
    {
        ShardFormat.Parquet => new ParquetCells(path, options.ParquetGroupBytes, options.SpillFolder),
        _ => CsvData.OpenCells(path, options),
    };

    /// <summary>Shards read one after the other; each shard's columns are mapped by name onto the first shard's header.</summary>
    private sealed class ShardedCells : ICellSource
    {
        private readonly DataSource _source;
        private readonly CsvOptions _options;
        private readonly string[] _trimmed;
        private int _shard;
        private ICellSource _current;
        private int[] _map;     // header column -> the current shard's column
        private bool _identity;
        private long _bytesBefore;      // the sizes of the shards already read

        public ShardedCells(DataSource source, CsvOptions options)
        {
            _source = source;
            _options = options;
            _current = OpenShard(source.Files[0], options);
            Header = _current.Header;
            HeaderWhere = _current.HeaderWhere;
            _trimmed = Header.Select(h => h.Trim()).ToArray();
            _map = Enumerable.Range(0, Header.Length).ToArray();
            _identity = true;
        }

        public string[] Header { get; }
        public string HeaderWhere { get; }
        public string Where => _current.Where;
        public int FieldCount => _identity || _current.FieldCount != _current.Header.Length ? _current.FieldCount : Header.Length;

        public bool Read()
        {
            while (!_current.Read())
            {
                if (_shard + 1 >= _source.Files.Count) return false;
                _current.Dispose();
                _bytesBefore += new FileInfo(_source.Files[_shard]).Length;
                _shard++;
                _current = OpenShard(_source.Files[_shard], _options);
                MapColumns();
            }
            return true;
        }

        private void MapColumns()
        {
            string first = Path.GetFileName(_source.Files[0]);
            string[] shardHeader = _current.Header.Select(h => h.Trim()).ToArray();
            foreach (string column in shardHeader)
                if (Array.IndexOf(_trimmed, column) < 0)
                    throw new DataFormatException($"{_current.HeaderWhere}: the column '{TableReader.Shorten(column)}' is not in the first shard {first} ({string.Join(", ", _trimmed)}); every shard needs the same columns");
            _map = new int[_trimmed.Length];
            for (int c = 0; c < _trimmed.Length; c++)
            {
                _map[c] = Array.IndexOf(shardHeader, _trimmed[c]);
                if (_map[c] < 0)
                    throw new DataFormatException($"{_current.HeaderWhere}: the shard has no column '{_trimmed[c]}', which the first shard {first} has; every shard needs the same columns");
            }
            _identity = _map.Select((m, c) => m == c).All(x => x);
        }

        public bool TryNumber(int column, out float value) => _current.TryNumber(_map[column], out value);
        public string Text(int column) => _current.Text(_map[column]);
        public long BytesRead => _bytesBefore + _current.BytesRead;

        public void Restart()
        {
            _current.Dispose();
            _shard = 0;
            _bytesBefore = 0;
            _current = OpenShard(_source.Files[0], _options);
            _map = Enumerable.Range(0, Header.Length).ToArray();
            _identity = true;
        }

        public void Dispose() => _current.Dispose();
    }
}
