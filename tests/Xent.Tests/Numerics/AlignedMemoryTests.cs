using Xent.Layers;
using Xent.Numerics;

namespace Xent.Tests.Numerics;

/// <summary>The buffers the kernels read start on a 64-byte boundary, whatever the allocator did before.</summary>
public class AlignedMemoryTests
{
    [Fact]
    public void EveryLengthStartsOnTheBoundaryZeroedAndTheRightLength()
    {
        var keep = new List<Memory<float>>();
        for (int length = 0; length <= 257; length++)
        {
            Memory<float> buffer = AlignedMemory.Allocate(length);
            keep.Add(buffer);
            Assert.Equal(length, buffer.Length);
            Assert.True(AlignedMemory.IsAligned(buffer.Span), $"length {length}");
            Assert.All(buffer.ToArray(), v => Assert.Equal(0f, v));
            _ = new float[length % 13 + 1];   // shift the allocator between buffers
        }
        GC.Collect();   // pinned: the buffers stay where they are
        Assert.All(keep, buffer => Assert.True(AlignedMemory.IsAligned(buffer.Span)));
    }

    [Fact]
    public void ParametersAndTheNetworksBuffersAreAligned()
    {
        Network network = Network.CreateClassifier(784, [256, 128], 10, Activation.Relu, seed: 1);
        foreach (Parameter p in network.Parameters)
        {
            Assert.True(AlignedMemory.IsAligned(p.Value), p.Name);
            Assert.True(AlignedMemory.IsAligned(p.Gradient), p.Name);
        }
        var x = new float[5 * 784];
        network.Forward(x, 5);
        for (int i = 0; i < network.Layers.Count; i++)
        {
            Assert.True(AlignedMemory.IsAligned(network.LayerOutput(i, 5)), $"layer {i} output");
            Assert.True(AlignedMemory.IsAligned(network.LayerPreActivation(i, 5)), $"layer {i} pre-activation");
        }
    }
}
