using ScottPlot;
using Xent.Models;

namespace Xent.Cli;

/// <summary>
/// Plots as <c>name.png</c> and <c>name.svg</c> in a folder. Rendering happens in memory first, so that a plot that
/// cannot be drawn fails before anything (a model, another plot) is written; each file is then written atomically.
/// </summary>
internal static class PlotFiles
{
    public const int Width = 900;
    public const int Height = 600;

    /// <summary>One plot, rendered.</summary>
    public sealed record Rendered(string Name, byte[] Png, string Svg);

    public static Rendered Render(Plot plot, string name) => new(name, plot.GetImageBytes(Width, Height, ImageFormat.Png), plot.GetSvgXml(Width, Height));

    /// <summary>The file names a set of plots takes in its folder.</summary>
    public static IEnumerable<string> FileNames(IEnumerable<string> names) => names.SelectMany(n => new[] { n + ".png", n + ".svg" });

    /// <summary>Refuses, before any work, a plot folder whose files would be replaced without --force.</summary>
    public static void CheckFolder(string directory, IEnumerable<string> names, bool force)
    {
        FilePaths.OutputFolder(directory, "--plot");
        if (force) return;
        foreach (string file in FileNames(names))
            if (FilePaths.Exists(Path.Combine(directory, file)))
                throw new UserError($"--plot {directory} already holds {file}; pass --force to overwrite the plots or choose another folder");
    }

    public static IReadOnlyList<string> Write(string directory, IReadOnlyList<Rendered> plots)
    {
        try { Directory.CreateDirectory(directory); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UserError($"--plot {directory}: cannot create the folder ({e.Message})"); }
        var files = new List<string>();
        foreach (Rendered plot in plots)
        {
            string png = Path.Combine(directory, plot.Name + ".png");
            string svg = Path.Combine(directory, plot.Name + ".svg");
            AtomicFile.Write(png, s => s.Write(plot.Png));
            AtomicFile.WriteAllText(svg, plot.Svg);
            files.Add(png);
            files.Add(svg);
        }
        return files;
    }

}
