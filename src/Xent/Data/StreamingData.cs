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
/// <see cref="MemoryLimitBytes"/> / 4 of rows whatever the data's size. Columns are read as <see cref="Table"/> reads them:
/// a column with a text cell is categorical (unless <see cref="CsvOptions.Numeric"/> or <see cref="CsvOptions.Categorical"/>
/// says otherwise), missing values follow <see cref="CsvOptions.Missing"/>; the pass caches numbers, category codes and
/// missing cells, the encoding (<see cref="TableEncoder"/>) is fitted on the training rows' counts — the encoder
/// <see cref="TableEncoder.Fit(Table, int, MissingValues)"/> fits on the same rows in memory — and the cached rows are
/// encoded once, before training. The distinct categories must fit in a quarter of <see cref="MemoryLimitBytes"/>
/// (at least 256 KB; about 64 bytes and 2 a character each), or the pass stops with an error naming the column.
/// When a text cell turns up in a column read as numbers so far, the pass starts again after a pass that settles every
/// column's kind (naming the text columns in <see cref="CsvOptions.Categorical"/> saves that). <see cref="Dataset"/>
/// stays the in-memory case.
/// </summary>
public sealed class StreamingData
{
    /// <summary>Streams the shards of <paramref name="source"/>, read with <paramref name="options"/> (label, ignored columns, delimiter).</summary>
    /// <param name="source">The shards to read (<see cref="DataSource.Open"/>).</param>
    /// <param name="options">How to read them; null for the defaults.</param>
    /// <exception cref="ArgumentException">The options give a share of the rows, which data-parallel training reads in memory.</exception>
    public StreamingData(DataSource source, CsvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new CsvOptions();
        if (options.Share is not null) throw new ArgumentException("a stream is read by one process; data-parallel training reads shares in memory", nameof(options));
        Source = source;
        Options = options;
    }

    /// <summary>Streams the file, folder or glob <paramref name="pathOrGlob"/> (see <see cref="DataSource.Open"/>).</summary>
    /// <param name="pathOrGlob">A CSV or Parquet file, a folder of shards, or a glob such as <c>data/part-*.parquet</c>.</param>
    /// <param name="options">How to read the shards (label, ignored columns, delimiter, column kinds, missing values); null for the defaults.</param>
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

    // What one Parquet row group (or, read a column chunk at a time, one column chunk) may take during the pass.
    internal long ParquetGroupBytes => Math.Max(MemoryLimitBytes / 4, 256L << 10);

    internal int BlocksPerBuffer(int features)
    {
        long blockBytes = RowsPerBlock(features) * (features + 1L) * sizeof(float);
        return (int)Math.Clamp(MemoryLimitBytes / 4 / blockBytes, 2, 1 << 20);
    }
}

/// <summary>What the pass over a streamed source found of one feature column, for the column report: as a table's column says it of all its rows.</summary>
internal sealed record StreamedColumn
{
    public string Name { get; init; } = "";
    public ColumnKind Kind { get; init; }
    /// <summary>Distinct categories over every row read (0 for a numeric column).</summary>
    public int DistinctCount { get; init; }
    /// <summary>Missing cells over every row read.</summary>
    public long MissingCount { get; init; }
}

/// <summary>
/// The row caches of a streamed data set, ready to train from: the training rows (encoded, not standardised; the
/// standardiser is applied as they are read), the validation rows (their own cache, so they need not fit in memory
/// either), the classes, the encoder fitted on the training rows and the training rows' mean and deviation. Disposing
/// deletes the folder unless it is kept.
/// </summary>
internal sealed class StreamedRows : IDisposable
{
    private const int Version = 2;
    private bool _delete;

    private StreamedRows(string folder, Meta meta, bool delete, bool reused)
    {
        Folder = folder;
        _delete = delete;
        Reused = reused;
        Encoder = new TableEncoder(meta.Encoding, meta.Missing);
        Columns = meta.Columns;
        ClassNames = meta.ClassNames;
        LabelColumn = meta.LabelColumn;
        TrainClassCounts = meta.TrainClassCounts;
        DroppedRows = meta.DroppedRows;
        RowCount = meta.RowCount;
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
    /// <summary>The encoding of the original columns, fitted on the training rows as <see cref="TableEncoder.Fit(Table, int, MissingValues)"/> fits it in memory.</summary>
    public TableEncoder Encoder { get; }
    /// <summary>The encoded features' names: the caches' columns.</summary>
    public IReadOnlyList<string> FeatureNames => Encoder.FeatureNames;
    public StreamedColumn[] Columns { get; }
    public string[] ClassNames { get; }
    public string? LabelColumn { get; }
    public int[] TrainClassCounts { get; }
    public long DroppedRows { get; }
    /// <summary>Data rows read from the training source (its validation split included; a separate validation source's not).</summary>
    public long RowCount { get; }
    public Standardizer Standardizer { get; }

    // What a kept cache's folder records about it, written last (so a folder without it is incomplete).
    internal sealed record Meta
    {
        public int Version { get; init; }
        public ColumnEncoding[] Encoding { get; init; } = [];
        public MissingValues Missing { get; init; }
        public StreamedColumn[] Columns { get; init; } = [];
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
    /// <paramref name="validation"/> source, <paramref name="fraction"/> must be 0. The encoder is fitted with
    /// <paramref name="maxCategories"/> and keeps the policy <paramref name="missing"/>, as <see cref="ClassifierOptions"/> says.
    /// </summary>
    public static StreamedRows Prepare(StreamingData data, StreamingData? validation, double fraction, long seed, CancellationToken cancellationToken,
        int maxCategories = TableEncoder.DefaultMaxCategories, MissingValues missing = MissingValues.Impute)
    {
        string root = data.CacheDirectory is { } given ? Path.GetFullPath(given) : Path.GetTempPath();
        if (!Directory.Exists(root)) throw new DataFormatException($"{root}: the cache folder does not exist; create it first");
        string key = Key(data, validation, fraction, seed, maxCategories, missing);
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
            Meta meta = Build(data, validation, fraction, seed, maxCategories, missing, folder, cancellationToken);
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

    private static string Key(StreamingData data, StreamingData? validation, double fraction, long seed, int maxCategories, MissingValues missing)
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
            text.Append(CultureInfo.InvariantCulture, $"{(int)o.Delimiter}|{o.Label}|{string.Join('\u001f', o.Ignore)}|{o.DropUnlabelled}|{o.Missing}|{string.Join('\u001f', o.Numeric)}|{string.Join('\u001f', o.Categorical)}\n");
        }
        Add(data);
        if (validation is not null) { text.Append("validation\n"); Add(validation); }
        // The limit sets the block size, and the blocks the batches: a cache built under another limit would train otherwise.
        // The encoding's options shape the cached features.
        text.Append(CultureInfo.InvariantCulture, $"{fraction:R}|{seed}|{data.MemoryLimitBytes}|{maxCategories}|{missing}\n");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private static Meta Build(StreamingData data, StreamingData? validation, double fraction, long seed, int maxCategories, MissingValues missing, string folder,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long totalBytes = data.Source.Bytes + (validation?.Source.Bytes ?? 0);
        string allPath = Path.Combine(folder, "all.rows");
        string trainPath = Path.Combine(folder, "train.rows"), validationPath = Path.Combine(folder, "validation.rows");

        // The pass over the data: every row's cells as numbers, category codes or NaN (missing), its label numbered in
        // order of first appearance.
        SourcePass first = SourcePass.Run(data, null, allPath, folder, 0, totalBytes, clock, cancellationToken);
        int columns = first.ColumnNames.Length;
        string[] classNames = TableReader.SortClassNames(first.Classes);
        if (classNames.Length < 2)
            throw new DataFormatException(TableReader.OneClass(data.Source.DisplayName, first.LabelColumn ?? "label", classNames[0]));
        var remap = new int[classNames.Length];
        for (int i = 0; i < classNames.Length; i++) remap[first.Classes.IndexOf(classNames[i])] = i;

        // Numeric columns without a missing value anywhere are their own features: the rows are cached as they are, and
        // the pass over the cache sums them for the mean. Otherwise the split's rows are cached raw, the encoder is fitted
        // on the training rows' counts, and one more pass encodes both parts.
        bool plain = first.Kinds.All(k => k == ColumnKind.Numeric) && first.MissingCounts.All(m => m == 0);
        string trainRaw = plain ? trainPath : Path.Combine(folder, "train.raw");
        string validationRaw = plain ? validationPath : Path.Combine(folder, "validation.raw");
        var statistics = first.ColumnNames.Select((name, c) => new ColumnStatistics(name, first.Kinds[c])).ToArray();
        var sums = new double[columns];
        var counts = new int[classNames.Length];
        long trainRows = 0, validationRows = 0;
        int rawRowsPerBlock = data.RowsPerBlock(columns);
        using (var train = new RowCacheWriter(trainRaw, columns, rawRowsPerBlock))
        {
            RowCacheWriter? held = fraction > 0 ? new RowCacheWriter(validationRaw, columns, rawRowsPerBlock) : null;
            try
            {
                // The split, row by row as StratifiedRule decides it in memory, and the training rows' counts.
                var rule = fraction > 0 ? new StratifiedRule(classNames.Length, fraction, seed) : null;
                ForEachBlock(allPath, (block, labels, rows) =>
                {
                    for (int r = 0; r < rows; r++)
                    {
                        int y = remap[labels[r]];
                        ReadOnlySpan<float> row = block.Slice(r * columns, columns);
                        if (rule is not null && rule.IsValidation(y)) { held!.Add(row, y); validationRows++; continue; }
                        train.Add(row, y);
                        counts[y]++;
                        trainRows++;
                        for (int c = 0; c < columns; c++) statistics[c].Add(row[c]);
                        if (plain) Standardizer.AddColumns(row, 1, columns, sums);
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

        TableEncoder encoder = TableEncoder.Fit(statistics, first.Vocabularies, maxCategories, missing);
        int features = encoder.FeatureCount;
        if (!plain)
        {
            sums = new double[features];
            int[]?[] slots = encoder.SlotsOfCodes(first.Vocabularies);
            EncodeCache(trainRaw, trainPath, encoder, slots, sums, data.RowsPerBlock(features), cancellationToken);
            if (validationRows > 0) EncodeCache(validationRaw, validationPath, encoder, slots, null, data.RowsPerBlock(features), cancellationToken);
        }

        // The second pass over the training rows, for the squared deviations about the mean (two passes, as Standardizer.Fit).
        var mean = new double[features];
        for (int c = 0; c < features; c++) mean[c] = sums[c] / trainRows;
        var squares = new double[features];
        ForEachBlock(trainPath, (block, _, rows) => Standardizer.AddSquaredDeviations(block, rows, features, mean, squares), cancellationToken);

        long rowCount = first.Rows;
        if (validation is not null)
        {
            // A separate validation source: read by the training columns' names, kinds and classes, then encoded by the training encoder.
            CsvOptions options = validation.Options with { FeatureNames = first.ColumnNames, FeatureKinds = first.Kinds, ClassNames = classNames, Label = first.LabelColumn };
            string heldRaw = Path.Combine(folder, "validation.raw");
            SourcePass held = SourcePass.Run(new StreamingData(validation.Source, options) { MemoryLimitBytes = data.MemoryLimitBytes }, classNames,
                heldRaw, folder, first.BytesDone, totalBytes, clock, cancellationToken, data.PassProgress);
            EncodeCache(heldRaw, validationPath, encoder, encoder.SlotsOfCodes(held.Vocabularies), null, data.RowsPerBlock(features), cancellationToken);
            validationRows = held.Rows;
        }
        data.PassProgress?.Report(new StreamingPassReport { CacheFolder = folder, Rows = rowCount + validationRows * (validation is null ? 0 : 1), BytesRead = totalBytes, TotalBytes = totalBytes, Elapsed = clock.Elapsed, Completed = true });
        return new Meta
        {
            Version = Version,
            Encoding = encoder.Columns.ToArray(),
            Missing = missing,
            Columns = first.ColumnNames.Select((name, c) => new StreamedColumn
            {
                Name = name,
                Kind = first.Kinds[c],
                DistinctCount = first.Vocabularies[c].Count,
                MissingCount = first.MissingCounts[c],
            }).ToArray(),
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

    // A cache of raw rows (numbers, category codes, NaN for missing) -> a cache of the same rows encoded; adds the encoded
    // rows into sums (in row order, as Standardizer.Fit adds them) when given. The raw cache is deleted.
    private static void EncodeCache(string rawPath, string path, TableEncoder encoder, int[]?[] slots, double[]? sums, int rowsPerBlock, CancellationToken cancellationToken)
    {
        int features = encoder.FeatureCount;
        var encoded = new float[features];
        using (var writer = new RowCacheWriter(path, features, rowsPerBlock))
        {
            ForEachBlock(rawPath, (block, labels, rows) =>
            {
                for (int r = 0; r < rows; r++)
                {
                    encoder.EncodeRaw(block.Slice(r * encoder.Columns.Count, encoder.Columns.Count), slots, encoded);
                    writer.Add(encoded, labels[r]);
                    if (sums is not null) Standardizer.AddColumns(encoded, 1, features, sums);
                }
            }, cancellationToken);
            writer.Complete();
        }
        File.Delete(rawPath);
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

    /// <summary>
    /// The categories a pass has met, per categorical column in order of first appearance (a cell is cached as its
    /// category's code), within a budget of memory shared by all columns: about 2 bytes a character and 64 bytes of
    /// bookkeeping a category, at most a quarter of <see cref="StreamingData.MemoryLimitBytes"/> (at least 256 KB).
    /// The encoding needs the exact count of every category to pick the most frequent ones as in memory, so a column
    /// with more distinct values than that (an identifier, a free-text field) is an error rather than a guess.
    /// </summary>
    private sealed class CategoryBudget(long limitBytes)
    {
        private long _used;
        private long _categories;

        public float Code(Dictionary<string, int> codes, List<string> names, string category, ICellSource cells, string column)
        {
            if (codes.TryGetValue(category, out int code)) return code;
            _used += 2L * category.Length + 64;
            _categories++;
            if (_used > limitBytes || names.Count >= 1 << 24)
                throw new DataFormatException($"{cells.Where}, column '{column}': more distinct categories ({_categories.ToString(CultureInfo.InvariantCulture)} in the categorical columns so far) than a stream can count within StreamingData.MemoryLimitBytes; drop the column with CsvOptions.Ignore, or raise StreamingData.MemoryLimitBytes");
            codes[category] = code = names.Count;
            names.Add(category);
            return code;
        }
    }

    /// <summary>One pass over a source's shards into a row cache of raw cells, with every check and message of the table reader.</summary>
    private sealed class SourcePass
    {
        public string[] ColumnNames { get; private set; } = [];
        public ColumnKind[] Kinds { get; private set; } = [];
        /// <summary>Per feature column, its categories in order of first appearance (empty for a numeric column): the names of the codes in the cache.</summary>
        public List<string>[] Vocabularies { get; private set; } = [];
        public long[] MissingCounts { get; private set; } = [];
        public string? LabelColumn { get; private set; }
        public List<string> Classes { get; } = [];
        public long Rows { get; private set; }
        public long Dropped { get; private set; }
        public long BytesDone { get; private set; }

        // fixedClasses: the classes labels must come from (a validation source); null to collect them in order of appearance.
        // A column's kind is decided as TableReader.Read decides it: the options' (or a model's) kind, else numeric unless
        // a cell is text. The pass starts out reading the open columns as numbers; a text cell (or a bad number, which a
        // text cell later in the column would excuse) in one starts it again, after a pass that settles every open column.
        public static SourcePass Run(StreamingData data, IReadOnlyList<string>? fixedClasses, string cachePath, string folder, long bytesBefore, long totalBytes,
            Stopwatch clock, CancellationToken cancellationToken, IProgress<StreamingPassReport>? progress = null)
        {
            progress ??= data.PassProgress;
            CsvOptions options = data.Options;
            string fileName = data.Source.DisplayName;
            // A Parquet row group may take a quarter of the limit (at least 256 KB); a larger one is read a column chunk at a time.
            using ICellSource cells = data.Source.OpenCells(options with { ParquetGroupBytes = data.ParquetGroupBytes, SpillFolder = folder });
            (string[] header, int[] featureColumns, int labelColumn) = TableReader.SelectColumns(cells, fileName, options);
            if (labelColumn < 0) throw new DataFormatException($"{fileName}: no label column; name it with CsvOptions.Label");
            (ColumnKind?[] kinds, TableReader.KindSource[] sources) = TableReader.FixedKinds(header, featureColumns, labelColumn, fileName, options);
            var reading = new Reading(data, fixedClasses, cachePath, folder, bytesBefore, totalBytes, clock, progress, cells, header, featureColumns, labelColumn, sources);
            bool[] open = kinds.Select(k => k is null).ToArray();
            if (open.Any(o => o))
            {
                try { return reading.Records(kinds.Select(k => k ?? ColumnKind.Numeric).ToArray(), open, cancellationToken); }
                catch (TableReader.TypesUnsettledException) { }
                cells.Restart();
                TableReader.InferKinds(cells, header.Length, featureColumns, labelColumn, kinds, options);
                cells.Restart();
            }
            return reading.Records(kinds.Select(k => k!.Value).ToArray(), null, cancellationToken);
        }

        private sealed record Reading(StreamingData Data, IReadOnlyList<string>? FixedClasses, string CachePath, string Folder, long BytesBefore, long TotalBytes,
            Stopwatch Clock, IProgress<StreamingPassReport>? Progress, ICellSource Cells, string[] Header, int[] FeatureColumns, int LabelColumn,
            TableReader.KindSource[] Sources)
        {
            // open: the columns read as numbers until a text cell says otherwise (TypesUnsettledException); null when every kind is settled.
            public SourcePass Records(ColumnKind[] kinds, bool[]? open, CancellationToken cancellationToken)
            {
                CsvOptions options = Data.Options;
                ICellSource cells = Cells;
                string[] header = Header;
                int[] featureColumns = FeatureColumns;
                int features = featureColumns.Length;
                var pass = new SourcePass
                {
                    ColumnNames = featureColumns.Select(c => header[c]).ToArray(),
                    Kinds = kinds,
                    Vocabularies = kinds.Select(_ => new List<string>()).ToArray(),
                    MissingCounts = new long[features],
                    LabelColumn = header[LabelColumn],
                };
                var codes = kinds.Select(k => k == ColumnKind.Categorical ? new Dictionary<string, int>(StringComparer.Ordinal) : null).ToArray();
                var budget = new CategoryBudget(Math.Max(Data.MemoryLimitBytes / 4, 256L << 10));
                string labelName = header[LabelColumn];
                var classIndex = new Dictionary<string, int>(StringComparer.Ordinal);
                if (FixedClasses is not null)
                    for (int i = 0; i < FixedClasses.Count; i++) classIndex.TryAdd(ClassLabels.Normalize(FixedClasses[i]), i);
                var row = new float[features];
                Progress?.Report(new StreamingPassReport { CacheFolder = Folder, BytesRead = BytesBefore, TotalBytes = TotalBytes, Elapsed = Clock.Elapsed });
                using var writer = new RowCacheWriter(CachePath, features, Data.RowsPerBlock(features));
                string lastLabel = "";
                int lastIndex = -1;
                while (cells.Read())
                {
                    if ((pass.Rows & 0xFFFF) == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        if (pass.Rows > 0)
                            Progress?.Report(new StreamingPassReport { CacheFolder = Folder, Rows = pass.Rows, BytesRead = BytesBefore + cells.BytesRead, TotalBytes = TotalBytes, Elapsed = Clock.Elapsed });
                    }
                    if (cells.FieldCount != header.Length)
                        throw new DataFormatException($"{cells.Where}: {cells.FieldCount} fields but the header has {header.Length}; every row needs one value per column");
                    // As in memory: an unlabelled row is dropped before its cells are read, a bad label reported after them.
                    string text = cells.Text(LabelColumn);
                    string? label = null;
                    // Consecutive rows often share a label: the last one's class is tried before normalising.
                    int y = lastIndex >= 0 && text == lastLabel ? lastIndex : -1;
                    if (y < 0)
                    {
                        label = ClassLabels.Normalize(text);
                        if (options.DropUnlabelled && (label.Length == 0 || !ClassLabels.IsValid(label)))
                        {
                            pass.Dropped++;
                            continue;
                        }
                    }
                    for (int f = 0; f < features; f++)
                    {
                        int c = featureColumns[f];
                        if (kinds[f] == ColumnKind.Numeric)
                        {
                            if (cells.TryNumber(c, out row[f]) && float.IsFinite(row[f])) continue;
                            string cell = cells.Text(c);
                            if (open is not null && open[f])
                            {
                                if (TableReader.IsText(cell.Trim(), options.Missing)) throw new TableReader.TypesUnsettledException();
                                try { row[f] = TableReader.ParseNumber(cell, cells.Where, header[c], Sources[f], options.Missing); }
                                catch (DataFormatException) { throw new TableReader.TypesUnsettledException(); }
                            }
                            else row[f] = TableReader.ParseNumber(cell, cells.Where, header[c], Sources[f], options.Missing);
                            if (float.IsNaN(row[f])) pass.MissingCounts[f]++;
                            continue;
                        }
                        if (TableReader.Category(cells.Text(c), options.Missing, cells.Where, header[c]) is { } category)
                            row[f] = budget.Code(codes[f]!, pass.Vocabularies[f], category, cells, header[c]);
                        else
                        {
                            row[f] = float.NaN;
                            pass.MissingCounts[f]++;
                        }
                    }
                    if (y < 0)
                    {
                        string name = label!;   // normalised above whenever y < 0
                        TableReader.CheckLabel(name, cells.Where, labelName);
                        if (!classIndex.TryGetValue(name, out y))
                        {
                            if (FixedClasses is not null)
                                throw new DataFormatException($"{cells.Where}, column '{labelName}': the class '{name}' is not one the training data has ({string.Join(", ", FixedClasses)})");
                            classIndex[name] = y = pass.Classes.Count;
                            pass.Classes.Add(name);
                        }
                        (lastLabel, lastIndex) = (text, y);
                    }
                    writer.Add(row, y);
                    pass.Rows++;
                }
                if (pass.Rows == 0)
                    throw new DataFormatException(pass.Dropped > 0 ? $"{Data.Source.DisplayName}: every row lacks a label, so CsvOptions.DropUnlabelled left none" : $"{Data.Source.DisplayName}: the header is followed by no data rows");
                writer.Complete();
                pass.BytesDone = BytesBefore + Data.Source.Bytes;
                return pass;
            }
        }
    }
}

/// <summary>A kept cache's record, serialised without reflection (the library stays trimming- and AOT-compatible).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(StreamedRows.Meta))]
internal sealed partial class StreamedRowsJson : System.Text.Json.Serialization.JsonSerializerContext;
