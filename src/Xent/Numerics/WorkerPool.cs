namespace Xent.Numerics;

/// <summary>A piece of work split into numbered parts.</summary>
internal interface IWorkItem
{
    void Execute(int part);
}

/// <summary>
/// Long-lived worker threads (one per core beyond the caller's) that run the parts of a split kernel. Handing out work
/// allocates nothing, unlike Parallel.For, so large products inside the training loop stay allocation-free. Part 0 runs
/// on the calling thread; calls from several threads at once take turns.
/// </summary>
internal static class WorkerPool
{
    public static readonly int Size = Math.Max(1, Environment.ProcessorCount);

    private static readonly object Gate = new();
    private static readonly ManualResetEventSlim Done = new(false);
    private static Worker[]? s_workers;
    private static int s_remaining;
    private static Exception? s_failure;

    private sealed class Worker
    {
        private readonly SemaphoreSlim _start = new(0);
        private IWorkItem? _job;
        private int _part;

        public Worker(int index)
        {
            _ = _start.AvailableWaitHandle; // created now rather than on the first blocking wait
            var thread = new Thread(Loop) { IsBackground = true, Name = $"xent-worker-{index}" };
            thread.Start();
        }

        public void Start(IWorkItem job, int part)
        {
            _job = job;
            _part = part;
            _start.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _start.Wait();
                try { _job!.Execute(_part); }
                catch (Exception e) { s_failure ??= e; }
                finally
                {
                    _job = null;
                    if (Interlocked.Decrement(ref s_remaining) == 0) Done.Set();
                }
            }
        }
    }

    /// <summary>Runs parts 0 … <paramref name="parts"/> − 1 of the job, part 0 on this thread, and returns when all are done.</summary>
    public static void Run(IWorkItem job, int parts)
    {
        if (parts <= 1) { job.Execute(0); return; }
        lock (Gate)
        {
            if (s_workers is null)
            {
                s_workers = Enumerable.Range(1, Size - 1).Select(i => new Worker(i)).ToArray();
                // ManualResetEventSlim creates its kernel event lazily, on the first wait that stops spinning; create it now
                // so that no later Run allocates (that first blocking wait comes at a random time on a busy machine).
                _ = Done.WaitHandle;
            }
            parts = Math.Min(parts, Size);
            s_failure = null;
            s_remaining = parts - 1;
            Done.Reset();
            for (int p = 1; p < parts; p++) s_workers[p - 1].Start(job, p);
            job.Execute(0);
            Done.Wait();
            if (s_failure is { } failure) throw new AggregateException("a worker thread failed", failure);
        }
    }
}
