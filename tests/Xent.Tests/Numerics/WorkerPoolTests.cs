using Xent.Numerics;

namespace Xent.Tests.Numerics;

/// <summary>The worker pool runs every part exactly once, wakes sleeping workers, survives failures and concurrent callers, and lets a fast thread take over a slow one's parts.</summary>
public class WorkerPoolTests
{
    private sealed class CountingJob : IWorkItem
    {
        public readonly int[] Runs = new int[64];
        public int ThrowOnPart = -1;
        public int SlowPart = -1;

        public void Execute(int first, int last)
        {
            for (int part = first; part < last; part++) Run(part);
        }

        private void Run(int part)
        {
            if (part == SlowPart) Thread.Sleep(50);
            Interlocked.Increment(ref Runs[part]);
            if (part == ThrowOnPart) throw new InvalidOperationException($"part {part} failed");
        }
    }

    private static void AssertEachPartRanOnce(CountingJob job, int parts, int times = 1)
    {
        for (int p = 0; p < job.Runs.Length; p++) Assert.Equal(p < parts ? times : 0, Volatile.Read(ref job.Runs[p]));
    }

    // Runs the body on a separate thread and fails (instead of hanging the test run) if it does not finish in time.
    private static void WithinTimeLimit(Action body)
    {
        var task = Task.Factory.StartNew(body, TaskCreationOptions.LongRunning);
        Assert.True(task.Wait(TimeSpan.FromSeconds(60)), "the pool did not finish: a lost wake-up or a deadlock");
    }

    [Fact]
    public void EveryPartRunsOnceWhetherTheWorkersSpinOrSleep()
    {
        int parts = WorkerPool.Size;
        WithinTimeLimit(() =>
        {
            var job = new CountingJob();
            for (int i = 0; i < 3000; i++)
            {
                WorkerPool.Run(job, parts);
                // Now and then wait long enough (beyond the ~1 ms spin) for the workers to fall asleep, so the next Run
                // must wake them; otherwise they are caught spinning, or on the way to sleep.
                if (i % 100 == 0) Thread.Sleep(5);
                else if (i % 7 == 0) Thread.SpinWait(2000);
            }
            AssertEachPartRanOnce(job, parts, times: 3000);
        });
    }

    [Fact]
    public void AFailingWorkerPartSurfacesAndThePoolKeepsWorking()
    {
        if (WorkerPool.Size < 2) return; // a single core has no worker threads to fail
        WithinTimeLimit(() =>
        {
            var failing = new CountingJob { ThrowOnPart = 1 };
            var error = Assert.Throws<AggregateException>(() => WorkerPool.Run(failing, 2));
            Assert.Contains("part 1 failed", error.InnerException!.Message);
            var next = new CountingJob();
            WorkerPool.Run(next, 2);
            AssertEachPartRanOnce(next, 2);
        });
    }

    [Fact]
    public void AFailingCallerPartWaitsForTheWorkersBeforeThrowing()
    {
        if (WorkerPool.Size < 2) return; // a single core has no worker threads
        WithinTimeLimit(() =>
        {
            var failing = new CountingJob { ThrowOnPart = 0, SlowPart = 1 };
            var error = Assert.Throws<AggregateException>(() => WorkerPool.Run(failing, 2));
            Assert.IsType<InvalidOperationException>(error.InnerException);
            AssertEachPartRanOnce(failing, 2);   // the worker's part had finished when Run threw
            var next = new CountingJob();
            WorkerPool.Run(next, 2);
            AssertEachPartRanOnce(next, 2);
        });
    }

    [Fact]
    public void ManyMorePartsThanThreadsEachRunOnce()
    {
        WithinTimeLimit(() =>
        {
            var job = new CountingJob();
            for (int i = 0; i < 2000; i++) WorkerPool.Run(job, 64);
            AssertEachPartRanOnce(job, 64, times: 2000);
        });
    }

    [Fact]
    public void AFastThreadTakesMoreThanItsShare()
    {
        if (WorkerPool.Size != 2) return; // the counts below are for one worker beside the caller
        WithinTimeLimit(() =>
        {
            // Parts take 5 ms on the worker and a few microseconds on the caller. With fixed halves each would run 32 of the
            // 64 parts; claimed in shrinking runs from both ends, the worker keeps only what it claimed before the caller was
            // done (its first claim is a third of what was left then), and the caller runs the rest.
            var job = new SlowWorkerJob();
            WorkerPool.Run(job, 64);
            Assert.All(job.Runs, runs => Assert.Equal(1, runs));
            Assert.True(job.OnCaller > 32, $"the caller ran {job.OnCaller} of the 64 parts, no more than a fixed half");
        });
    }

    private sealed class SlowWorkerJob : IWorkItem
    {
        public readonly int[] Runs = new int[64];
        public int OnCaller;
        private readonly int _caller = Environment.CurrentManagedThreadId;

        public void Execute(int first, int last)
        {
            for (int part = first; part < last; part++) Run(part);
        }

        private void Run(int part)
        {
            if (Environment.CurrentManagedThreadId == _caller) { Interlocked.Increment(ref OnCaller); Thread.SpinWait(1000); }
            else Thread.Sleep(5);
            Interlocked.Increment(ref Runs[part]);
        }
    }

    [Fact]
    public void CallersOnSeveralThreadsTakeTurns()
    {
        int parts = WorkerPool.Size;
        WithinTimeLimit(() =>
        {
            var jobs = Enumerable.Range(0, 4).Select(_ => new CountingJob()).ToArray();
            Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
            {
                for (int i = 0; i < 500; i++) WorkerPool.Run(jobs[t], parts);
            });
            foreach (CountingJob job in jobs) AssertEachPartRanOnce(job, parts, times: 500);
        });
    }
}
