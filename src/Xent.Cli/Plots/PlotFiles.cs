using ScottPlot;
using Xent.Models;

namespace Xent.Cli;

/// <summary>Saves a plot as <c>name.png</c> and <c>name.svg</c> in a folder, each written atomically.</summary>
internal static class PlotFiles
{
    public const int Width = 900;
    public const int Height = 600;

    public static IReadOnlyList<string> Save(Plot plot, string directory, string name)
    {
        try { Directory.CreateDirectory(directory); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UserError($"--plot {directory}: cannot create the folder ({e.Message})"); }
        string png = Path.Combine(directory, name + ".png");
        string svg = Path.Combine(directory, name + ".svg");
        byte[] pngBytes = plot.GetImageBytes(Width, Height, ImageFormat.Png);
        AtomicFile.Write(png, s => s.Write(pngBytes));
        AtomicFile.WriteAllText(svg, plot.GetSvgXml(Width, Height));
        return [png, svg];
    }
}
