using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Xent.Data;

/// <summary>How far the pass over a streamed data source has come (see <see cref="StreamingData.PassProgress"/>).</summary>
public sealed record StreamingPassReport
{
    /// <summary>The folder that holds the row caches; removed at the end unless <see cref="StreamingData.KeepCache"/>.</summary>
    public required string CacheFolder { get; init; }
    /// <summary>Data rows read so far.</summary>
    public long Rows { get; init; }
    /// <summary>Bytes of the shards read so far (about: readers read ahead by a buffer).</summary>
    public long BytesRead { get; init; }
    /// <summary>The shards' total size in bytes.</summary>
    public long TotalBytes { get; init; }
    /// <summary>Time since the pass began.</summary>
    public TimeSpan Elapsed { get; init; }
    /// <summary>True for the last report: the caches are complete.</summary>
    public bool Completed { get; init; }
    /// <summary>True when a kept cache of the same sources and options was found and the data was not read again.</summary>
    public bool Reused { get; init; }
}

/// <summary>
/// Training data read as a stream, for data larger than memory: <c>Classifier.Train</c> makes one pass over the shards
/// (CSV or Parquet, <see cref="DataSource"/>) that checks every cell as <see cref="CsvData.ReadTable(DataSource, CsvOptions)"/>
/// does, collects the classes and their counts and writes the rows once, as float32, into a row cache on disk
/// (<see cref="RowCache"/>); then one pass over that cache makes the stratified validation split (<see cref="StratifiedRule"/>,
/// the same rows as in memory) and sums the training rows for the standardisation's mean, and one more sums the squared
/// deviations about it. Training then reads the cache a buffer of blocks at a time, so memory holds about
/// <see cref="MemoryLimitBytes"/> / 4 of rows whatever the data's size. Feature columns must be numeric with no missing
/// values (a text or missing cell is an error naming the shard, line and column; read such data in memory as a
/// <see cref="Table"/>). <see cref="Dataset"/> stays the in-memory case.
/// </summary>
public sealed class StreamingData
{
    /// <summary>Streams the shards of <paramref name="source"/>, read with <paramref name="options"/> (label, ignored columns, delimiter).</summary>
    /// <param name="source">The shards to read (<see cref="DataSource.Open"/>).</param>
    /// <param name="options">How to read them; null for the defaults.</param>
    /// <exception cref="ArgumentException">The options name categorical columns or fix column kinds, which a stream does not read.</exception>
    public StreamingData(DataSource source, CsvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new CsvOptions();
        if (options.Categorical.Count > 0)
            throw new ArgumentException($"CsvOptions.Categorical names {string.Join(", ", options.Categorical)}, but training from a stream reads numeric columns only; read the data in memory (a larger StreamingData.MemoryLimitBytes) to use categories", nameof(options));
        if (options.Share is not null) throw new ArgumentException("a stream is read by one process; data-parallel training reads shares in memory", nameof(options));
        Source = source;
        Options = options;
    }

    /// <summary>Streams the file, folder or glob <paramref name="pathOrGlob"/> (see <see cref="DataSource.Open"/>).</summary>
    /// <param name="pathOrGlob">A CSV or Parquet file, a folder of shards, or a glob such as <c>data/part-*.parquet</c>.</param>
    /// <param name="options">How to read the shards (label, ignored columns, delimiter); null for the defaults.</param>
    /// <returns>The streamed data set; nothing is read until training starts.</returns>
    public static StreamingData Open(string pathOrGlob, CsvOptions? options = null) => new(DataSource.Open(pathOrGlob), options);

    /// <summary>Where the rows are.</summary>
    public DataSource Source { get; }

    /// <summary>How the shards are read.</summary>
    public CsvOptions Options { get; }

    /// <summary>
    /// The memory training may use for rows: a quarter of it is the shuffle buffer, 1/128 (4 KB to 1 MB) a block of
    /// the cache. Default 256 MB.
    /// </summary>
    public long MemoryLimitBytes { get; init; } = 256L << 20;

    /// <summary>The folder the caches go in (a new subfolder for each run); null for the system's temporary folder.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// Keep the caches after training, in <see cref="CacheDirectory"/>/xent-cache-KEY, KEY a hash of the shards' full paths,
    /// sizes and modification times and of every option that shapes the rows or the batches (reading options, validation
    /// fraction, seed and <see cref="MemoryLimitBytes"/>, which sets the block size). A later run with the same KEY reuses them instead of reading the data again; a changed shard or option makes
    /// a new KEY. Without it the caches are deleted when training ends, also when it fails or is cancelled.
    /// </summary>
    public bool KeepCache { get; init; }

    /// <summary>Reports the pass over the data (about every 64K rows, and once at the end) on the training thread.</summary>
    public IProgress<StreamingPassReport>? PassProgress { get; init; }

    /// <summary>
    /// About how much memory reading <paramref name="source"/> into a <see cref="Table"/> and training on it takes: three
    /// times the size of CSV shards (the float32 columns, the encoded and standardised copies and the split), 16 bytes a
    /// cell of Parquet shards (whose size says little, being compressed).
    /// </summary>
    /// <param name="source">The shards.</param>
    /// <returns>The estimate in bytes; compare it with the memory you can give training.</returns>
    public static long EstimateInMemoryBytes(DataSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        long bytes = 0;
        foreach (string file in source.Files)
        {
            if (DataSource.FormatOf(file) == ShardFormat.Csv) { bytes += 3 * new FileInfo(file).Length; continue; }
            using var cells = new ParquetCells(file);
            bytes += cells.RowCount * cells.Header.Length * 16;
        }
        return bytes;
    }

    // A block of the cache: 1/128 of the limit, 4 KB to 1 MB, at least 16 rows; the shuffle buffer: a quarter of the limit, at least 2 blocks.
    internal int RowsPerBlock(int features)
    {
        long blockBytes = Math.Clamp(MemoryLimitBytes / 128, 4096, 1 << 20);
        return (int)Math.Max(16, blockBytes / ((features + 1L) * sizeof(float)));
    }

    internal int BlocksPerBuffer(int features)
    {
        long blockBytes = RowsPerBlock(features) * (features + 1L) * sizeof(float);
        return (int)Math.Clamp(MemoryLimitBytes / 4 / blockBytes, 2, 1 << 20);
    }
}

/// <summary>
/// The row caches of a streamed data set, ready to train from: the training rows (raw; the standardiser is applied as
/// they are read), the validation rows (their own cache, so they need not fit in memory either), the classes and the
/// training rows' mean and deviation. Disposing deletes the folder unless it is kept.
/// </summary>
internal sealed class StreamedRows : IDisposable
{
    private const int Version = 1;
    private bool _delete;

    private StreamedRows(string folder, Meta meta, bool delete, bool reused)
    {
        Folder = folder;
        _delete = delete;
        Reused = reused;
        FeatureNames = meta.FeatureNames;
        ClassNames = meta.ClassNames;
        LabelColumn = meta.LabelColumn;
        TrainClassCounts = meta.TrainClassCounts;
        DroppedRows = meta.DroppedRows;
        RowCount = meta.RowCount;
        Mean = meta.Mean.Select(m => (float)m).ToArray();
        Standardizer = Standardizer.FromSums(meta.Mean, meta.Squares, meta.TrainRows);
        try
        {
            Train = RowCache.Open(Path.Combine(folder, "train.rows"));
            Validation = meta.ValidationRows > 0 ? RowCache.Open(Path.Combine(folder, "validation.rows")) : null;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Folder { get; }
    public bool Reused { get; }
    public RowCache Train { get; } = null!;
    public RowCache? Validation { get; }
    public string[] FeatureNames { get; }
    public string[] ClassNames { get; }
    public string? LabelColumn { get; }
    public int[] TrainClassCounts { get; }
    public long DroppedRows { get; }
    /// <summary>Data rows read from the training source (its validation split included; a separate validation source's not).</summary>
    public long RowCount { get; }
    public float[] Mean { get; }
    public Standardizer Standardizer { get; }

    // What a kept cache's folder records about it, written last (so a folder without it is incomplete).
    internal sealed record Meta
    {
        public int Version { get; init; }
        public string[] FeatureNames { get; init; } = [];
        public string[] ClassNames { get; init; } = [];
        public string? LabelColumn { get; init; }
        public int[] TrainClassCounts { get; init; } = [];
        public long RowCount { get; init; }
        public long TrainRows { get; init; }
        public long ValidationRows { get; init; }
        public long DroppedRows { get; init; }
        public double[] Mean { get; init; } = [];
        public double[] Squares { get; init; } = [];
    }

    /// <summary>
    /// Reads the sources into caches (or finds kept ones): see <see cref="StreamingData"/>. With a separate
    /// <paramref name="validation"/> source, <paramref name="fraction"/> must be 0.
    /// </summary>
    public static StreamedRows Prepare(StreamingData data, StreamingData? validation, double fraction, long seed, CancellationToken cancellationToken)
    {
        string root = data.CacheDirectory is { } given ? Path.GetFullPath(given) : Path.GetTempPath();
        if (!Directory.Exists(root)) throw new DataFormatException($"{root}: the cache folder does not exist; create it first");
        string key = Key(data, validation, fraction, seed);
        string kept = Path.Combine(root, "xent-cache-" + key);
        if (File.Exists(Path.Combine(kept, "meta.json")))
        {
            Meta? meta = null;
            try { meta = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(kept, "meta.json")), StreamedRowsJson.Default.Meta); }
            catch (JsonException) { }
            if (meta is { Version: Version })
            {
                data.PassProgress?.Report(new StreamingPassReport { CacheFolder = kept, Rows = meta.RowCount, Completed = true, Reused = true });
                return new StreamedRows(kept, meta, delete: false, reused: true);
            }
        }
        // Built under a name of this process's own, then renamed when kept: a kept folder is whole or absent.
        string folder = Path.Combine(root, $"xent-cache-{key}.{Environment.ProcessId}.{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(folder);
        try
        {
            Meta meta = Build(data, validation, fraction, seed, folder, cancellationToken);
            if (data.KeepCache)
            {
                File.WriteAllText(Path.Combine(folder, "meta.json"), JsonSerializer.Serialize(meta, StreamedRowsJson.Default.Meta));
                try { Directory.Move(folder, kept); }
                catch (IOException) when (File.Exists(Path.Combine(kept, "meta.json"))) { }   // another run kept the same cache first
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                return new StreamedRows(kept, meta, delete: false, reused: false);
            }
            return new StreamedRows(folder, meta, delete: true, reused: false);
        }
        catch
        {
            DeleteFolder(folder);
            throw;
        }
    }

    private static string Key(StreamingData data, StreamingData? validation, double fraction, long seed)
    {
        var text = new StringBuilder($"xent-rows {Version}\n");
        void Add(StreamingData d)
        {
            foreach (string file in d.Source.Files)
            {
                var info = new FileInfo(file);
                text.Append(CultureInfo.InvariantCulture, $"{file}\n{info.Length}\n{info.LastWriteTimeUtc.Ticks}\n");
            }
            CsvOptions o = d.Options;
            text.Append(CultureInfo.InvariantCulture, $"{(int)o.Delimiter}|{o.Label}|{string.Join('\u001f', o.Ignore)}|{o.DropUnlabelled}|{o.Missing}|{string.Join('\u001f', o.Numeric)}\n");
        }
        Add(data);
        if (validation is not null) { text.Append("validation\n"); Add(validation); }
        // The limit sets the block size, and the blocks the batches: a cache built under another limit would train otherwise.
        text.Append(CultureInfo.InvariantCulture, $"{fraction:R}|{seed}|{data.MemoryLimitBytes}\n");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private static Meta Build(StreamingData data, StreamingData? validation, double fraction, long seed, string folder, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long totalBytes = data.Source.Bytes + (validation?.Source.Bytes ?? 0);
        string allPath = Path.Combine(folder, "all.rows");
        string trainPath = Path.Combine(folder, "train.rows"), validationPath = Path.Combine(folder, "validation.rows");

        // The pass over the data: every row, its label numbered in order of first appearance.
        SourcePass first = SourcePass.Run(data, null, allPath, folder, 0, totalBytes, clock, cancellationToken);
        int features = first.FeatureNames.Length;
        string[] classNames = TableReader.SortClassNames(first.Classes);
        if (classNames.Length < 2)
            throw new DataFormatException(TableReader.OneClass(data.Source.DisplayName, first.LabelColumn ?? "label", classNames[0]));
        var remap = new int[classNames.Length];
        for (int i = 0; i < classNames.Length; i++) remap[first.Classes.IndexOf(classNames[i])] = i;

        // The pass over the cache: the split, row by row as StratifiedRule decides it in memory, and the training rows' sums.
        var sums = new double[features];
        var counts = new int[classNames.Length];
        long trainRows = 0, validationRows = 0;
        int rowsPerBlock = data.RowsPerBlock(features);
        using (var train = new RowCacheWriter(trainPath, features, rowsPerBlock))
        {
            RowCacheWriter? held = fraction > 0 ? new RowCacheWriter(validationPath, features, rowsPerBlock) : null;
            try
            {
                var rule = fraction > 0 ? new StratifiedRule(classNames.Length, fraction, seed) : null;
                ForEachBlock(allPath, (block, labels, rows) =>
                {
                    for (int r = 0; r < rows; r++)
                    {
                        int y = remap[labels[r]];
                        ReadOnlySpan<float> row = block.Slice(r * features, features);
                        if (rule is not null && rule.IsValidation(y)) { held!.Add(row, y); validationRows++; continue; }
                        train.Add(row, y);
                        counts[y]++;
                        trainRows++;
                        Standardizer.AddColumns(row, 1, features, sums);
                    }
                }, cancellationToken);
                train.Complete();
                held?.Complete();
            }
            finally
            {
                held?.Dispose();
            }
        }
        File.Delete(allPath);
        if (trainRows == 0) throw new DataFormatException($"{data.Source.DisplayName}: no rows are left for training after the validation split");

        // The second pass over the training rows, for the squared deviations about the mean (two passes, as Standardizer.Fit).
        var mean = new double[features];
        for (int c = 0; c < features; c++) mean[c] = sums[c] / trainRows;
        var squares = new double[features];
        ForEachBlock(trainPath, (block, _, rows) => Standardizer.AddSquaredDeviations(block, rows, features, mean, squares), cancellationToken);

        long rowCount = first.Rows;
        if (validation is not null)
        {
            // A separate validation source: read by the training columns' names and classes, straight into its cache.
            CsvOptions options = validation.Options with { FeatureNames = first.FeatureNames, ClassNames = classNames, Label = first.LabelColumn };
            SourcePass held = SourcePass.Run(new StreamingData(validation.Source, options) { MemoryLimitBytes = data.MemoryLimitBytes }, classNames,
                validationPath, folder, first.BytesDone, totalBytes, clock, cancellationToken, data.PassProgress);
            validationRows = held.Rows;
        }
        data.PassProgress?.Report(new StreamingPassReport { CacheFolder = folder, Rows = rowCount + validationRows * (validation is null ? 0 : 1), BytesRead = totalBytes, TotalBytes = totalBytes, Elapsed = clock.Elapsed, Completed = true });
        return new Meta
        {
            Version = Version,
            FeatureNames = first.FeatureNames,
            ClassNames = classNames,
            LabelColumn = first.LabelColumn,
            TrainClassCounts = counts,
            RowCount = rowCount,
            TrainRows = trainRows,
            ValidationRows = validationRows,
            DroppedRows = first.Dropped,
            Mean = mean,
            Squares = squares,
        };
    }

    // block [rows, features], labels [rows]: the blocks of a cache in order.
    private delegate void BlockAction(ReadOnlySpan<float> block, ReadOnlySpan<int> labels, int rows);

    private static void ForEachBlock(string path, BlockAction action, CancellationToken cancellationToken)
    {
        using RowCache cache = RowCache.Open(path);
        var block = new float[cache.RowsPerBlock * cache.FeatureCount];
        var labels = new int[cache.RowsPerBlock];
        for (int b = 0; b < cache.BlockCount; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            cache.ReadBlock(b, block, labels);
            action(block, labels, cache.RowsIn(b));
        }
    }

    public void Dispose()
    {
        Train?.Dispose();
        Validation?.Dispose();
        if (_delete)
        {
            DeleteFolder(Folder);
            _delete = false;
        }
    }

    internal static void DeleteFolder(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>One pass over a source's shards into a row cache, with every check of the table reader.</summary>
    private sealed class SourcePass
    {
        public string[] FeatureNames { get; private set; } = [];
        public string? LabelColumn { get; private set; }
        public List<string> Classes { get; } = [];
        public long Rows { get; private set; }
        public long Dropped { get; private set; }
        public long BytesDone { get; private set; }

        // fixedClasses: the classes labels must come from (a validation source); null to collect them in order of appearance.
        public static SourcePass Run(StreamingData data, IReadOnlyList<string>? fixedClasses, string cachePath, string folder, long bytesBefore, long totalBytes,
            Stopwatch clock, CancellationToken cancellationToken, IProgress<StreamingPassReport>? progress = null)
        {
            progress ??= data.PassProgress;
            CsvOptions options = data.Options;
            string fileName = data.Source.DisplayName;
            var pass = new SourcePass();
            using ICellSource cells = data.Source.OpenCells(options);
            (string[] header, int[] featureColumns, int labelColumn) = TableReader.SelectColumns(cells, fileName, options);
            if (labelColumn < 0) throw new DataFormatException($"{fileName}: no label column; name it with CsvOptions.Label");
            pass.FeatureNames = featureColumns.Select(c => header[c]).ToArray();
            pass.LabelColumn = header[labelColumn];
            string labelName = header[labelColumn];
            var classIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            if (fixedClasses is not null)
                for (int i = 0; i < fixedClasses.Count; i++) classIndex.TryAdd(ClassLabels.Normalize(fixedClasses[i]), i);
            int features = featureColumns.Length;
            var row = new float[features];
            progress?.Report(new StreamingPassReport { CacheFolder = folder, BytesRead = bytesBefore, TotalBytes = totalBytes, Elapsed = clock.Elapsed });
            using var writer = new RowCacheWriter(cachePath, features, data.RowsPerBlock(features));
            string lastLabel = "";
            int lastIndex = -1;
            while (cells.Read())
            {
                if ((pass.Rows & 0xFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (pass.Rows > 0)
                        progress?.Report(new StreamingPassReport { CacheFolder = folder, Rows = pass.Rows, BytesRead = bytesBefore + cells.BytesRead, TotalBytes = totalBytes, Elapsed = clock.Elapsed });
                }
                if (cells.FieldCount != header.Length)
                    throw new DataFormatException($"{cells.Where}: {cells.FieldCount} fields but the header has {header.Length}; every row needs one value per column");
                string text = cells.Text(labelColumn);
                int y;
                // Consecutive rows often share a label: the last one's class is tried before normalising.
                if (lastIndex >= 0 && text == lastLabel) y = lastIndex;
                else
                {
                    string label = ClassLabels.Normalize(text);
                    if (options.DropUnlabelled && (label.Length == 0 || !ClassLabels.IsValid(label)))
                    {
                        pass.Dropped++;
                        continue;
                    }
                    if (label.Length == 0) throw new DataFormatException($"{cells.Where}, column '{labelName}': the label is missing");
                    if (!ClassLabels.IsValid(label))
                        throw new DataFormatException($"{cells.Where}, column '{labelName}': '{TableReader.Shorten(label)}' is not a valid label (NaN and infinities cannot name a class)");
                    if (!classIndex.TryGetValue(label, out y))
                    {
                        if (fixedClasses is not null)
                            throw new DataFormatException($"{cells.Where}, column '{labelName}': the class '{label}' is not one the training data has ({string.Join(", ", fixedClasses)})");
                        classIndex[label] = y = pass.Classes.Count;
                        pass.Classes.Add(label);
                    }
                    (lastLabel, lastIndex) = (text, y);
                }
                for (int f = 0; f < features; f++)
                {
                    int c = featureColumns[f];
                    if (!cells.TryNumber(c, out row[f]) || !float.IsFinite(row[f])) row[f] = SlowNumber(cells, c, header[c]);
                }
                writer.Add(row, y);
                pass.Rows++;
            }
            if (pass.Rows == 0)
                throw new DataFormatException(pass.Dropped > 0 ? $"{fileName}: every row lacks a label, so CsvOptions.DropUnlabelled left none" : $"{fileName}: the header is followed by no data rows");
            writer.Complete();
            pass.BytesDone = bytesBefore + data.Source.Bytes;
            return pass;
        }

        // A cell that is not plainly a finite number: a missing value or text (which a stream cannot take), or a spoilt
        // number, reported with the table reader's message.
        private static float SlowNumber(ICellSource cells, int column, string name)
        {
            string text = cells.Text(column), trimmed = text.Trim();
            // NaN is refused as not finite, as by the numeric reader; the other spellings of a missing value as missing.
            if (trimmed is "" or "NA" or "N/A")
                throw new DataFormatException($"{cells.Where}, column '{name}': missing value; training from a stream (data larger than the memory limit) takes no missing values: fill it in, drop the row, or allow more memory to impute it");
            if (TableReader.IsText(trimmed, MissingValues.Error))
                throw new DataFormatException($"{cells.Where}, column '{name}': '{TableReader.Shorten(trimmed)}' is not a number; training from a stream reads numeric feature columns only (drop the column with CsvOptions.Ignore, or allow more memory to read it as categories)");
            return TableReader.ParseNumber(text, cells.Where, name, TableReader.KindSource.NumbersOnly, MissingValues.Error);
        }
    }
}

/// <summary>A kept cache's record, serialised without reflection (the library stays trimming- and AOT-compatible).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(StreamedRows.Meta))]
internal sealed partial class StreamedRowsJson : System.Text.Json.Serialization.JsonSerializerContext;
