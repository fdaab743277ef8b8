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
/// <remarks>
/// A training step runs several split products with short serial stretches between them (activations, the loss, the
/// optimizer, the next batch's rows). Waking a thread that sleeps in the kernel costs tens of microseconds on a virtual
/// machine, as much as a small product, so an idle worker first spins for <see cref="SpinTime"/> (about a millisecond)
/// watching for new work and only then sleeps; the caller spins while it waits for the workers to finish their parts.
/// </remarks>
internal static class WorkerPool
{
    public static readonly int Size = Math.Max(1, Environment.ProcessorCount);

    private static readonly long SpinTime = System.Diagnostics.Stopwatch.Frequency / 1000;
    private static readonly object Gate = new();
    private static Worker[]? s_workers;
    private static int s_remaining;
    private static Exception? s_failure;

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private IWorkItem? _job;
        private int _part;
        private int _generation;   // bumped for every new part
        private int _sleeping;     // 1 while the worker is (about to be) blocked on _wake

        public Worker(int index)
        {
            _ = _wake.AvailableWaitHandle; // created now rather than on the first blocking wait
            var thread = new Thread(Loop) { IsBackground = true, Name = $"xent-worker-{index}" };
            thread.Start();
        }

        public void Start(IWorkItem job, int part)
        {
            _job = job;
            _part = part;
            Interlocked.Increment(ref _generation);
            // Both sides write with a full fence and then read the other's flag, so at least one of them sees the other:
            // either the worker sees the new generation and does not sleep, or this sees it sleeping and wakes it. (Both
            // can happen; the extra release then only makes a later wait return early, and the worker checks again.)
            if (Volatile.Read(ref _sleeping) == 1) _wake.Release();
        }

        private void Loop()
        {
            int seen = 0;
            while (true)
            {
                long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTime;
                while (Volatile.Read(ref _generation) == seen)
                {
                    if (System.Diagnostics.Stopwatch.GetTimestamp() < deadline) { Thread.SpinWait(20); continue; }
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (Volatile.Read(ref _generation) == seen) _wake.Wait();
                    Volatile.Write(ref _sleeping, 0);
                    deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTime;
                }
                seen = Volatile.Read(ref _generation);
                try { _job!.Execute(_part); }
                catch (Exception e) { s_failure ??= e; }
                finally
                {
                    _job = null;
                    Interlocked.Decrement(ref s_remaining);
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
            s_workers ??= Enumerable.Range(1, Size - 1).Select(i => new Worker(i)).ToArray();
            parts = Math.Min(parts, Size);
            s_failure = null;
            Volatile.Write(ref s_remaining, parts - 1);
            for (int p = 1; p < parts; p++) s_workers[p - 1].Start(job, p);
            try { job.Execute(0); }
            finally
            {
                // Even when part 0 throws, the workers must be done with this job before the next Run reuses the counter.
                // Their parts take about as long as this one, so the wait is short: spin without system calls for up to
                // SpinTime, then yield the core (never sleeping a whole millisecond) if a descheduled worker drags it on.
                long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTime;
                while (Volatile.Read(ref s_remaining) != 0 && System.Diagnostics.Stopwatch.GetTimestamp() < deadline) Thread.SpinWait(20);
                var spinner = new SpinWait();
                while (Volatile.Read(ref s_remaining) != 0) spinner.SpinOnce(sleep1Threshold: -1);
            }
            if (s_failure is { } failure) throw new AggregateException("a worker thread failed", failure);
        }
    }
}
