namespace Xent.Numerics;

/// <summary>A piece of work split into numbered parts.</summary>
internal interface IWorkItem
{
    void Execute(int part);
}

/// <summary>
/// Long-lived worker threads (one per core beyond the caller's) that run the parts of a split kernel. Handing out work
/// allocates nothing, unlike Parallel.For, so large products inside the training loop stay allocation-free. Part 0 runs
/// on the calling thread; parts 1 … n−1 are claimed from a shared counter by whichever thread is free first, the caller
/// included, so a worker that the operating system has not scheduled yet does not hold the caller up: the caller runs the
/// part itself. Which thread runs a part never changes what the part computes. Calls from several threads take turns.
/// </summary>
/// <remarks>
/// A training step runs several split products with short serial stretches between them (activations, the loss, the
/// optimizer, the next batch's rows). Waking a thread that sleeps in the kernel costs tens of microseconds on a virtual
/// machine, as much as a small product, so an idle worker first watches for new work for <see cref="SpinTime"/> (about a
/// millisecond) and only then sleeps. It watches with <c>Thread.Yield</c>, not a busy spin: on 2 contended cores the busy
/// spin took the core from the training thread (mnist-shaped training ran faster with DOTNET_PROCESSOR_COUNT=1). Yielding
/// instead (AMD EPYC, 2 cores, 22 alternating pairs): in the 17 run while other builds kept the cores busy, mnist went from
/// 14–55k (median 27k) to 18–82k (median 52k) samples/s, faster in 15; in the 3 run while the machine was quiet (1024³
/// GEMM near 200 GFLOP/s), 135k/142k/143k against 132k/143k/130k; 2 pairs in which the load rose midway favoured the
/// old code (113k against 77k, 130k against 93k). On a machine shared with other busy processes a worker may also wait
/// milliseconds for a core; with fixed parts the caller then waited for it (mnist-shaped training fell from ~135k to
/// 8–18k samples/s on 2 contended cores), with claimed parts it does the work itself.
/// </remarks>
internal static class WorkerPool
{
    public static readonly int Size = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Matrix products below this many multiply-adds run on one thread: the hand-off costs more than it saves.</summary>
    public const long ParallelMultiplyAdds = 1L << 22;

    /// <summary>Element-wise passes (optimizer updates, batch gathers) below this many floats run on one thread.</summary>
    public const long ParallelElements = 1L << 16;

    /// <summary>How many parts to split work into: up to <paramref name="maxParts"/> (and the pool's size) when <paramref name="work"/> reaches <paramref name="threshold"/>, else 1.</summary>
    public static int Parts(long work, long threshold, long maxParts) => work >= threshold ? (int)Math.Max(1, Math.Min(Size, maxParts)) : 1;

    private static readonly long SpinTime = System.Diagnostics.Stopwatch.Frequency / 1000;
    private static readonly object Gate = new();
    private static Worker[]? s_workers;
    // The current run's claim word: run number (high 32 bits) | part count (16 bits) | next unclaimed part (16 bits). A
    // compare-and-swap on the whole word claims a part only while that run is current, so a late worker cannot take a
    // part of a later run by mistake.
    private static long s_claim;
    private static int s_run;
    private static IWorkItem? s_job;
    private static int s_done;
    private static Exception? s_failure;

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _generation;   // bumped for every run this worker is asked to help with
        private int _sleeping;     // 1 while the worker is (about to be) blocked on _wake

        public Worker(int index)
        {
            _ = _wake.AvailableWaitHandle; // created now rather than on the first blocking wait
            var thread = new Thread(Loop) { IsBackground = true, Name = $"xent-worker-{index}" };
            thread.Start();
        }

        public void Wake()
        {
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
                    // Yield rather than spin in place: on an idle machine Thread.Yield returns at once, so this still catches new
                    // work within microseconds, but on a busy one it hands the core to a runnable thread, often the very
                    // training thread whose next product this worker is waiting for.
                    if (System.Diagnostics.Stopwatch.GetTimestamp() < deadline) { Thread.Yield(); continue; }
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (Volatile.Read(ref _generation) == seen) _wake.Wait();
                    Volatile.Write(ref _sleeping, 0);
                    deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTime;
                }
                seen = Volatile.Read(ref _generation);
                RunClaimedParts();
            }
        }
    }

    // Claims and runs parts of the current run until none is left; a failure is kept for the caller.
    private static void RunClaimedParts()
    {
        while (TryClaim(out int part))
        {
            // The run stays current until every claimed part is done, so s_job is this run's job.
            try { s_job!.Execute(part); }
            catch (Exception e) { s_failure ??= e; }
            finally { Interlocked.Increment(ref s_done); }
        }
    }

    private static bool TryClaim(out int part)
    {
        while (true)
        {
            long claim = Volatile.Read(ref s_claim);
            int parts = (int)(claim >> 16) & 0xFFFF, next = (int)claim & 0xFFFF;
            if (next >= parts) { part = -1; return false; }
            if (Interlocked.CompareExchange(ref s_claim, claim + 1, claim) == claim) { part = next; return true; }
        }
    }

    /// <summary>Runs parts 0 … <paramref name="parts"/> − 1 of the job, part 0 on this thread, and returns when all are done.</summary>
    public static void Run(IWorkItem job, int parts)
    {
        if (parts <= 1) { job.Execute(0); return; }
        lock (Gate)
        {
            s_workers ??= Enumerable.Range(1, Size - 1).Select(i => new Worker(i)).ToArray();
            parts = Math.Min(parts, Math.Min(Size, 0xFFFF));
            s_failure = null;
            s_job = job;
            Volatile.Write(ref s_done, 1);   // part 0 is this thread's and not claimable: parts 1 … n−1 start at 1
            s_run++;
            Volatile.Write(ref s_claim, ((long)s_run << 32) | ((long)parts << 16) | 1);
            for (int w = 0; w < parts - 1; w++) s_workers[w].Wake();
            try { job.Execute(0); }
            finally
            {
                // Then help with the parts nobody has claimed yet, and wait for the claimed ones. Even when part 0 threw, the
                // other parts must be done before the next Run reuses the counters. The wait spins without system calls for up
                // to SpinTime, then yields the core (never sleeping a whole millisecond) if a descheduled worker drags it on.
                RunClaimedParts();
                long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTime;
                while (Volatile.Read(ref s_done) != parts && System.Diagnostics.Stopwatch.GetTimestamp() < deadline) Thread.SpinWait(20);
                var spinner = new SpinWait();
                while (Volatile.Read(ref s_done) != parts) spinner.SpinOnce(sleep1Threshold: -1);
                s_job = null;
            }
            if (s_failure is { } failure) throw new AggregateException("a worker thread failed", failure);
        }
    }
}
