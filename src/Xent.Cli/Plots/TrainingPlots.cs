using Xent.Training;

namespace Xent.Cli;

/// <summary>Training curves and the confusion matrix as PNG and SVG (placeholder until plotting lands).</summary>
internal static class TrainingPlots
{
    public static void Write(string directory, TrainingResult result, ClassificationMetrics metrics) =>
        throw new UserError("--plot is not available yet");
}
