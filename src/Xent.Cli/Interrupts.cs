using System.Runtime.InteropServices;

namespace Xent.Cli;

/// <summary>
/// Ctrl-C (SIGINT), SIGTERM and SIGHUP for the real process. The first signal during training cancels the token, so
/// training stops after the current batch, saves the checkpoint when there is one and exits 130 (SIGINT), 143 (SIGTERM)
/// or 129 (SIGHUP); anywhere else, and on a second signal, the process ends at once: temporary files are deleted (a
/// target is only ever replaced by a complete file), the cursor is shown again, and no stack trace is printed. SIGUSR1
/// (forwarded by mpirun, which ends its processes on the others) stops training the same graceful way (exit 138) and is
/// ignored outside training. Under mpirun (<see cref="Watch"/>), SIGCONT, which mpirun sends a second before SIGTERM when
/// it ends the job, and the first terminating signal ask the <see cref="RankWatch"/> whether another process vanished:
/// then the line naming it is printed and the process ends at once (its group can no longer take a step together).
/// </summary>
internal sealed class Interrupts : IDisposable
{
    private static int s_graceful;
    private static volatile RankWatch? s_watch;
    private static volatile bool s_speaks = true;

    /// <summary>
    /// Under mpirun: signals come from mpirun ending the job (after a process failed or was killed, or on the user's
    /// Ctrl-C). <paramref name="watch"/> says whether another process vanished and which line (if any) this process
    /// prints about it; otherwise only a process that <paramref name="speaks"/> (process 0) prints its own messages.
    /// </summary>
    public static void Watch(RankWatch watch, bool speaks)
    {
        s_speaks = speaks;
        s_watch = watch;
    }

    // Whether this process prints its own interrupt messages: alone, or as process 0 when no other process's end was reported.
    private static bool Speaks => s_speaks && s_watch?.HasReported != true;
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _count;
    private PosixSignal _first;

    public Interrupts()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, Handle),
            // mpirun forwards SIGUSR1 to every process of the job (and ends them on SIGINT/SIGTERM): the graceful stop of a
            // data-parallel run is `kill -USR1 <mpirun's pid>`. Outside training it is ignored.
            PosixSignalRegistration.Create(SigUsr1, HandleUser),
        ];
        // mpirun's first sign that it is ending the job (data-parallel runs are Linux-only).
        if (!OperatingSystem.IsWindows()) _registrations = [.. _registrations, PosixSignalRegistration.Create(PosixSignal.SIGCONT, HandleContinue)];
    }

    public CancellationToken Token => _cancel.Token;

    /// <summary>The exit code for the first signal received: 128 + its number.</summary>
    public int ExitCode => ExitCodeOf(_first);

    /// <summary>
    /// While a scope is open (training), the first signal asks for a clean stop instead of ending the process. Only
    /// code that checks the token between units of work may open one.
    /// </summary>
    public static IDisposable Graceful()
    {
        Interlocked.Increment(ref s_graceful);
        return new Scope();
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a graceful scope. If it ends by cancellation, the process is stopping gracefully
    /// from then on: a first signal that comes while it saves and reports (under mpirun, another process's signal can
    /// stop training before this one's arrives) is part of the same stop, and only a second one ends the process at once.
    /// </summary>
    public static T RunGracefully<T>(Func<T> work)
    {
        using (Graceful())
        {
            try { return work(); }
            catch (OperationCanceledException)
            {
                Volatile.Write(ref s_stopping, true);
                throw;
            }
        }
    }

    private static bool s_stopping;

    private sealed class Scope : IDisposable
    {
        private int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref s_graceful);
        }
    }

    private const PosixSignal SigUsr1 = (PosixSignal)10;   // Linux's signal number, passed through as a raw value

    private static int ExitCodeOf(PosixSignal signal) => signal switch
    {
        SigUsr1 => 138,
        PosixSignal.SIGTERM => 143,
        PosixSignal.SIGHUP => 129,
        _ => 130,
    };

    private void HandleUser(PosixSignalContext context)
    {
        context.Cancel = true;
        // Noted even when it comes too late to matter: a data-parallel run may have stopped on another process's copy.
        SignalExitCode ??= ExitCodeOf(context.Signal);
        if (Volatile.Read(ref s_graceful) == 0 || Interlocked.Increment(ref _count) != 1) return;
        _first = context.Signal;
        _cancel.Cancel();
    }

    /// <summary>The exit code for the first signal this process received, if any.</summary>
    public static int? SignalExitCode { get; private set; }

    // SIGCONT: after a stop (job control) it means nothing here; under mpirun it is the first sign that the job is
    // ending, and if another process vanished there is nothing left to wait for.
    private void HandleContinue(PosixSignalContext context)
    {
        if (s_watch is not null) EndIfAnotherVanished(ExitCodeOf(PosixSignal.SIGTERM), terminating: false);
    }

    private static void EndIfAnotherVanished(int exitCode, bool terminating)
    {
        if (s_watch is not { } watch) return;
        (bool vanished, string? line) = watch.JobEnding(terminating);
        if (line is not null)
        {
            Console.Error.WriteLine(line);
            Console.Error.Flush();
        }
        if (!vanished) return;
        // Marked before ending, so that a survivor looking after this one has gone does not take it for another failure.
        watch.MarkEnding();
        EndNow(exitCode);
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;   // the process decides how to end, not the runtime's default handler
        if (Interlocked.Increment(ref _count) == 1)
        {
            _first = context.Signal;
            SignalExitCode = ExitCodeOf(context.Signal);
            // Read when the signal came, not after the look at the other processes (which takes milliseconds): under
            // mpirun another process's signal may have stopped training meanwhile, closing the scope, and this process
            // must then go on to save and report with the others instead of ending at once.
            bool stopping = Volatile.Read(ref s_stopping), graceful = stopping || Volatile.Read(ref s_graceful) > 0;
            EndIfAnotherVanished(ExitCodeOf(context.Signal), terminating: true);
            if (graceful)
            {
                if (!stopping && !Console.IsErrorRedirected && Speaks)
                    Console.Error.WriteLine("xent: stopping after the current batch (press Ctrl-C again to stop at once)");
                _cancel.Cancel();
                return;
            }
        }
        EndNow(ExitCodeOf(context.Signal));
    }

    // 0 while a command runs; 1 once the main thread reports how it ended; 2 once a second signal ends the process.
    private static int s_state;

    /// <summary>
    /// Called by the main thread before it reports how a command ended. If a second signal is already ending the
    /// process, it waits for that; otherwise later signals are ignored, so exactly one message and one exit code come out.
    /// </summary>
    public static void Finish()
    {
        if (Interlocked.CompareExchange(ref s_state, 1, 0) == 2) Thread.Sleep(Timeout.Infinite);
    }

    private static void EndNow(int exitCode)
    {
        if (Interlocked.CompareExchange(ref s_state, 2, 0) != 0) return;   // the command has finished: let it report
        Cleanup.RunAll();
        if (Speaks)
        {
            if (!Console.IsOutputRedirected) Console.Out.Write("\u001b[?25h");   // a live progress bar hides the cursor
            Console.Error.WriteLine("xent: interrupted; stopped at once, nothing was saved");
        }
        Environment.Exit(exitCode);
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration r in _registrations) r.Dispose();
        _cancel.Dispose();
    }
}

/// <summary>What must be undone if the process is ended at once: temporary files, staging folders, output locks.</summary>
internal static class Cleanup
{
    private static readonly Dictionary<object, Action> Actions = [];

    public static object Add(Action undo)
    {
        var key = new object();
        lock (Actions) Actions[key] = undo;
        return key;
    }

    public static void Remove(object key)
    {
        lock (Actions) Actions.Remove(key);
    }

    public static void RunAll()
    {
        Models.AtomicFile.AbortAll();
        Action[] all;
        lock (Actions) { all = Actions.Values.ToArray(); Actions.Clear(); }
        foreach (Action undo in all)
        {
            try { undo(); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
