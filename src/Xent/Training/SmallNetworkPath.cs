using Xent.Layers;
using Xent.Losses;
using Xent.Numerics;

namespace Xent.Training;

/// <summary>
/// Which networks and losses the trainer hands to the fused small-network kernel (<see cref="FusedSmallStep"/>): two dense
/// layers, ReLU then identity, within the kernel's sizes, with plain softmax cross entropy (no class weights, no label
/// smoothing; the mean reduction, or the sum that the data-parallel trainer uses). Everything else takes the general path.
/// </summary>
internal static class SmallNetworkPath
{
    /// <summary>The fused step for this network and loss on the CPU's width, or null when they are not of the shape it handles.</summary>
    public static FusedSmallStep? TryCreate(Network network, IClassificationLoss loss) => TryCreate(network, loss, KernelPaths.FusedStep);

    /// <summary>The same on a given width (Vector512 or Vector256), or null.</summary>
    public static FusedSmallStep? TryCreate(Network network, IClassificationLoss loss, SimdPath path)
    {
        if (network.Layers.Count != 2) return null;
        Dense first = network.Layers[0], second = network.Layers[1];
        if (first.Activation != Activation.Relu || second.Activation != Activation.Identity) return null;
        if (!FusedSmallStep.Fits(first.Inputs, first.Outputs, second.Outputs)) return null;
        if (loss is not SoftmaxCrossEntropy { Options: { Weights: null, LabelSmoothing: 0, Reduction: Reduction.Mean or Reduction.Sum } } crossEntropy) return null;
        var parameters = new SmallNetwork(first.Inputs, first.Outputs, second.Outputs,
            first.Weight.ValueMemory, first.Bias.ValueMemory, second.Weight.ValueMemory, second.Bias.ValueMemory,
            first.Weight.GradientMemory, first.Bias.GradientMemory, second.Weight.GradientMemory, second.Bias.GradientMemory);
        return FusedSmallStep.TryCreate(parameters, crossEntropy.Options.IgnoreIndex, path, crossEntropy.Options.Reduction == Reduction.Mean);
    }
}
