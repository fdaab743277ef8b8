namespace Xent.Numerics;

/// <summary>A piece of work split into numbered parts; a thread runs a run of neighbouring parts at once.</summary>
internal interface IWorkItem
{
    /// <summary>Parts [first, last).</summary>
    void Execute(int first, int last);
}

/// <summary>
/// Long-lived worker threads (one per core beyond the caller's) that run the parts of a split kernel. Handing out work
/// allocates nothing, unlike Parallel.For, so large products inside the training loop stay allocation-free. The calling
/// thread claims runs of parts from the front, the workers from the back, each claim a share of what is left (a third
/// with two threads), so the claims shrink as the two ends meet: a thread that runs slower, starts late or is not
/// scheduled at all simply ends up with fewer parts, and the caller waits only for the parts a worker has already
/// claimed (at worst its first claim, a third). Which thread runs a part never changes what the part computes. Calls from
/// several threads take turns.
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

    /// <summary>
    /// How many parts to split work into: <paramref name="units"/> (at most 65535), the smallest pieces it can be cut into,
    /// when there are worker threads and <paramref name="work"/> reaches <paramref name="threshold"/>; else 1, all of it on
    /// the calling thread. The threads claim runs of neighbouring parts, so many small parts cost few hand-offs.
    /// </summary>
    public static int Parts(long work, long threshold, long units) => Size > 1 && work >= threshold ? (int)Math.Clamp(units, 1, MaxParts) : 1;

    /// <summary>The most parts a run takes (they are counted in 16 bits).</summary>
    public const int MaxParts = 0xFFFF;

    /// <summary>
    /// Units [Start, End) that parts [<paramref name="first"/>, <paramref name="last"/>) cover when <paramref name="units"/>
    /// whole units are shared out among <paramref name="parts"/> parts as evenly as they go: the same for any run of parts.
    /// </summary>
    public static (int Start, int End) Share(int units, int first, int last, int parts) =>
        ((int)((long)units * first / parts), (int)((long)units * last / parts));

    private static readonly long SpinTime = System.Diagnostics.Stopwatch.Frequency / 1000;
    private static readonly object Gate = new();
    private static Worker[]? s_workers;
    // The current run's claim word: run number (high 32 bits) | back (16 bits) | front (16 bits); parts [front, back) are
    // unclaimed. A compare-and-swap on the whole word claims parts only while that run is current, so a late worker cannot
    // take parts of a later run by mistake.
    private static long s_claim;
    private static int s_run;
    private static int s_threads;
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
                RunClaimedParts(fromFront: false);
            }
        }
    }

    // Claims and runs runs of parts of the current run, from the front (the caller) or the back (the workers), until none
    // is left; a failure is kept for the caller.
    private static void RunClaimedParts(bool fromFront)
    {
        while (TryClaim(fromFront, out int first, out int last))
        {
            // The run stays current until every claimed part is done, so s_job is this run's job.
            try { s_job!.Execute(first, last); }
            catch (Exception e) { Interlocked.CompareExchange(ref s_failure, e, null); }
            finally { Interlocked.Add(ref s_done, last - first); }
        }
    }

    private static bool TryClaim(bool fromFront, out int first, out int last)
    {
        while (true)
        {
            long claim = Volatile.Read(ref s_claim);
            int front = (int)claim & 0xFFFF, back = (int)(claim >> 16) & 0xFFFF;
            if (front >= back) { first = last = -1; return false; }
            // A share of what is left: large while the ends are far apart (few claims, each a compare-and-swap on a line the
            // other core also writes), one part at a time at the end (no thread is left with much more than the others).
            int take = Math.Max(1, (back - front) / (s_threads + 1));
            (first, last) = fromFront ? (front, front + take) : (back - take, back);
            long next = fromFront ? claim + take : claim - ((long)take << 16);
            if (Interlocked.CompareExchange(ref s_claim, next, claim) == claim) return true;
        }
    }

    /// <summary>
    /// Runs parts 0 … <paramref name="parts"/> − 1 (at most 65535) of the job on this thread and the workers, and returns
    /// when all are done. A part that throws ends the run of parts its thread had claimed; the runs the other threads
    /// claimed still finish, and then the first failure is thrown, wrapped in an AggregateException. With one part, or no
    /// worker threads, everything runs on this thread and a failure propagates as it is.
    /// </summary>
    public static void Run(IWorkItem job, int parts)
    {
        if (parts <= 0) return;
        if (parts == 1 || Size == 1) { job.Execute(0, parts); return; }
        if (parts > MaxParts) throw new ArgumentOutOfRangeException(nameof(parts), parts, $"at most {MaxParts} parts");
        lock (Gate)
        {
            s_workers ??= Enumerable.Range(1, Size - 1).Select(i => new Worker(i)).ToArray();
            int helpers = Math.Min(Size, parts) - 1;
            s_threads = helpers + 1;
            s_failure = null;
            s_job = job;
            Volatile.Write(ref s_done, 0);
            s_run++;
            Volatile.Write(ref s_claim, ((long)s_run << 32) | ((long)parts << 16));
            for (int w = 0; w < helpers; w++) s_workers[w].Wake();
            RunClaimedParts(fromFront: true);
            // Then wait for the parts the workers claimed: spinning without system calls for up to SpinTime, then yielding the
            // core (never sleeping a whole millisecond) if a descheduled worker drags it on. Even after a failure, every part
            // must be done before the next Run reuses the counters.
            long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTime;
            while (Volatile.Read(ref s_done) != parts && System.Diagnostics.Stopwatch.GetTimestamp() < deadline) Thread.SpinWait(20);
            var spinner = new SpinWait();
            while (Volatile.Read(ref s_done) != parts) spinner.SpinOnce(sleep1Threshold: -1);
            s_job = null;
            if (s_failure is { } failure) throw new AggregateException("a part of a parallel kernel failed", failure);
        }
    }
}
