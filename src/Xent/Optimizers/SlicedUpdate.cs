using Xent.Layers;
using Xent.Numerics;

namespace Xent.Optimizers;

/// <summary>
/// Runs an element-wise optimizer update over every parameter buffer, split across the worker threads when the buffers
/// are large enough for that to pay: part p of n takes the same contiguous slice of every buffer, and a thread's run of
/// neighbouring parts one slice of each. The update of one element depends only on that element, so the split does not
/// change any result.
/// </summary>
internal sealed class SlicedUpdate : IWorkItem
{
    private readonly Parameter[] _parameters;
    private readonly Action<int, int, int> _update;   // (parameter index, start, count)
    private readonly long _total;
    private int _parts = 1;

    public SlicedUpdate(Parameter[] parameters, Action<int, int, int> update)
    {
        _parameters = parameters;
        _update = update;
        _total = parameters.Sum(p => (long)p.Length);
    }

    /// <summary>Parts per parallel update: enough that a slower thread can leave some of its share to the other.</summary>
    private const int PartsWhenSplit = 64;

    public void Run()
    {
        _parts = WorkerPool.Parts(_total, WorkerPool.ParallelElements, PartsWhenSplit);
        WorkerPool.Run(this, _parts);
    }

    public void Execute(int first, int last)
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            int length = _parameters[i].Length;
            int chunk = ((length + _parts - 1) / _parts + 15) & ~15;   // whole 64-byte lines per part
            long start = (long)first * chunk, end = Math.Min(length, (long)last * chunk);
            if (start < end) _update(i, (int)start, (int)(end - start));
        }
    }
}
