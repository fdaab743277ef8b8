using Xent.Layers;
using Xent.Numerics;

namespace Xent.Optimizers;

/// <summary>
/// Runs an element-wise optimizer update over every parameter buffer, split across the worker threads when the buffers
/// are large enough for that to pay: part p of n takes the same contiguous slice of every buffer. The update of one
/// element depends only on that element, so the split does not change any result.
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

    public void Run()
    {
        _parts = WorkerPool.Parts(_total, WorkerPool.ParallelElements, WorkerPool.Size);
        WorkerPool.Run(this, _parts);
    }

    public void Execute(int part)
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            int length = _parameters[i].Length;
            int chunk = ((length + _parts - 1) / _parts + 15) & ~15;   // whole 64-byte lines per part
            long start = (long)part * chunk;
            if (start < length) _update(i, (int)start, (int)Math.Min(chunk, length - start));
        }
    }
}
