using System.Globalization;
using CsvHelper;
using Parquet;
using Parquet.Schema;

namespace Xent.Bench;

/// <summary>
/// The streaming bench's Parquet file: the same rows as its CSV file (float columns, a string label as the last column),
/// converted a row group of 250,000 rows at a time so the converter's memory stays small.
/// </summary>
public static class CsvToParquet
{
    private const int GroupRows = 250_000;

    public static int Run(string csvPath, string parquetPath)
    {
        ConvertAsync(csvPath, parquetPath).GetAwaiter().GetResult();
        return 0;
    }

    private static async Task ConvertAsync(string csvPath, string parquetPath)
    {
        using CsvReader csv = CsvReader.FromFile(csvPath, new CsvReaderOptions { Separator = ',', HasHeader = true }, FileOptions.SequentialScan);
        string[] header = csv.Headers.ToArray();
        int features = header.Length - 1;
        DataField[] fields = header[..features].Select(h => (DataField)new DataField<float>(h)).Append(new DataField<string>(header[^1])).ToArray();
        var columns = new float[features][];
        for (int f = 0; f < features; f++) columns[f] = new float[GroupRows];
        var labels = new string[GroupRows];
        string temporary = parquetPath + ".tmp";
        await using (FileStream stream = File.Create(temporary))
        await using (ParquetWriter writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream))
        {
            int rows = 0;
            async Task Flush()
            {
                using ParquetRowGroupWriter group = writer.CreateRowGroup();
                for (int f = 0; f < features; f++) await group.WriteAsync(fields[f], (ReadOnlyMemory<float>)columns[f].AsMemory(0, rows));
                await group.WriteAsync(fields[features], rows == labels.Length ? labels : labels[..rows]);
                rows = 0;
            }
            while (csv.Read())
            {
                for (int f = 0; f < features; f++) columns[f][rows] = float.Parse(csv[f].Span, CultureInfo.InvariantCulture);
                labels[rows] = csv[features].ToString();
                if (++rows == GroupRows) await Flush();
            }
            if (rows > 0) await Flush();
        }
        File.Move(temporary, parquetPath, overwrite: true);
    }
}
