using System.Globalization;
using Xent.Distributed;

namespace Xent.Cli;

/// <summary>
/// Which process of a data-parallel job is which, so that when mpirun ends the job a survivor can say why. At the start
/// every process tells the others its machine (hostname, boot id and process-id namespace), its process id and the
/// kernel's start time of that process (so a reused id is not mistaken for it). mpirun (Open MPI 4) reaps a process that
/// died, then sends the others SIGCONT, SIGTERM one second later and SIGKILL one second after that
/// (<c>odls_base_sigkill_timeout</c>); on the first of these signals a survivor looks in <c>/proc</c> for the processes of
/// its own machine that are gone. A process that fails on its own (bad data, an error) prints its line and leaves a mark
/// in Open MPI's session folder for the job on its machine (<c>OMPI_FILE_LOCATION</c>, removed by Open MPI when the job
/// ends) before it aborts, so the survivors stay silent about it; so does a survivor that ends on seeing another gone. Of the survivors on a machine, the lowest-numbered one
/// reports. Nothing is read from mpirun's own output, so this works with and without <c>mpirun -q</c>. A process on
/// another machine is out of sight: there, only that machine's survivors can tell, and process 0 names the other
/// machines when it cannot.
/// </summary>
internal sealed class RankWatch
{
    private sealed record Member(int Rank, string Host, string Machine, int ProcessId, string StartTime);

    private readonly Member[] _members;
    private readonly int _rank;
    private readonly string? _markFolder;
    private int _reported;

    private RankWatch(Member[] members, int rank, string? markFolder)
    {
        _members = members;
        _rank = rank;
        _markFolder = markFolder;
    }

    /// <summary>Every process's identity, gathered from all of them (a collective call: every process makes it).</summary>
    public static RankWatch Gather(ICollectives group)
    {
        string machine = $"{ReadOrEmpty("/proc/sys/kernel/random/boot_id").Trim()} {LinkOrEmpty("/proc/self/ns/pid")}";
        string[] mine = [Environment.MachineName, machine, Environment.ProcessId.ToString(CultureInfo.InvariantCulture), StartTime(Environment.ProcessId) ?? ""];
        string[][] all = group.AllGather(mine);
        var members = all.Select((m, rank) => new Member(rank, m[0], m[1], int.Parse(m[2], CultureInfo.InvariantCulture), m[3])).ToArray();
        string? folder = Environment.GetEnvironmentVariable("OMPI_FILE_LOCATION") is { Length: > 0 } f && Directory.Exists(f) ? f : null;
        return new RankWatch(members, group.Rank, folder);
    }

    /// <summary>Called by a process that failed and is about to say why and abort the job: the others will not speak for it.</summary>
    public void MarkReported()
    {
        Interlocked.Exchange(ref _reported, 1);
        MarkEnding();
    }

    /// <summary>Leaves the mark that says this process ends knowingly (it reported a failure, or it follows another's end).</summary>
    public void MarkEnding()
    {
        if (_markFolder is null) return;
        try { File.WriteAllBytes(MarkOf(_rank), []); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// The one line this process prints now that mpirun is ending the job, or null: from the lowest-numbered survivor of a
    /// machine where a process vanished without a word, the ranks that did; from process 0, when the job spans other
    /// machines and none of its own vanished, that the cause lies there (or in mpirun being interrupted), on a
    /// <paramref name="terminating"/> signal only. At most once.
    /// </summary>
    public (bool AnotherVanished, string? Line) JobEnding(bool terminating)
    {
        Member self = _members[_rank];
        Member[] local = _members.Where(m => m.Machine == self.Machine && m.Host == self.Host).ToArray();
        Member[] gone = local.Where(m => m.Rank != _rank && !IsRunning(m)).ToArray();
        if (gone.Length == 0)
        {
            Member[] elsewhere = _members.Except(local).ToArray();
            // Only on a terminating signal: a SIGCONT with every local process alive may be job control (fg after Ctrl-Z).
            if (!terminating || _rank != 0 || elsewhere.Length == 0 || Interlocked.Exchange(ref _reported, 1) != 0) return (false, null);
            string hosts = string.Join(", ", elsewhere.GroupBy(m => m.Host).Select(g => $"{g.Key}: rank {Ranks(g)}"));
            return (false, $"xent train: rank 0: mpirun is ending the job, and no process on this machine ended: mpirun was interrupted, or a process on another machine ({hosts}) failed or was killed; no model was written");
        }
        // The lowest-numbered survivor speaks; processes that said why they failed are left to their own line.
        // Either way this process has nothing of its own to add (HasReported), since it ends because another did.
        bool first = Interlocked.Exchange(ref _reported, 1) == 0;
        if (local.First(m => m == self || !gone.Contains(m)) != self) return (true, null);
        Member[] silent = gone.Where(m => !HasMark(m)).ToArray();
        if (silent.Length == 0 || !first) return (true, null);
        string who = string.Join(" and ", silent.Select(m => $"rank {m.Rank} (process {m.ProcessId} on {m.Host})"));
        return (true, $"xent train: {who} ended without reporting an error: killed by a signal (such as SIGKILL or the out-of-memory killer's) or crashed; mpirun ended the job and no model was written");
    }

    /// <summary>Whether this process has already printed a line about the end of the job (its own failure or another's).</summary>
    public bool HasReported => Volatile.Read(ref _reported) != 0;

    private static string Ranks(IEnumerable<Member> members) => string.Join(", ", members.Select(m => m.Rank));

    private string MarkOf(int rank) => Path.Combine(_markFolder!, $"xent-rank-{rank.ToString(CultureInfo.InvariantCulture)}-reported");

    private bool HasMark(Member m) => _markFolder is not null && File.Exists(MarkOf(m.Rank));

    // Alive: /proc still has it, it is the same process (same start time), and it is not a zombie waiting to be reaped.
    private static bool IsRunning(Member m)
    {
        string? stat = ReadOrNull($"/proc/{m.ProcessId.ToString(CultureInfo.InvariantCulture)}/stat");
        if (stat is null) return false;
        string[] fields = AfterCommand(stat);
        return fields.Length > 19 && fields[0] is not ("Z" or "X") && (m.StartTime.Length == 0 || fields[19] == m.StartTime);
    }

    // Field 22 of /proc/PID/stat, the start time in clock ticks after boot.
    private static string? StartTime(int processId)
    {
        string? stat = ReadOrNull($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
        if (stat is null) return null;
        string[] fields = AfterCommand(stat);
        return fields.Length > 19 ? fields[19] : null;
    }

    // The fields after "PID (command)": the command may hold spaces and parentheses, so split after the last ')'.
    private static string[] AfterCommand(string stat) => stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static string? ReadOrNull(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static string ReadOrEmpty(string path) => ReadOrNull(path) ?? "";

    private static string LinkOrEmpty(string path)
    {
        try { return new FileInfo(path).LinkTarget ?? ""; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }
}
