using System.Runtime.InteropServices;

namespace Xent.Cli;

/// <summary>
/// Checks on the files a command reads and writes, made before any work starts, so that a bad path costs nothing and
/// leaves nothing behind. Every message names the option and the path.
/// </summary>
internal static partial class FilePaths
{
    /// <summary>An input file: it must exist and be a file, not a folder.</summary>
    public static string Input(string? path, string option)
    {
        string full = Full(path, option);
        if (Directory.Exists(full)) throw new UserError($"{option} {path} is a folder; give a file");
        if (!File.Exists(full)) throw new UserError($"{option} {path}: no such file");
        return full;
    }

    /// <summary>
    /// A data input: a CSV or Parquet file, a folder of them, or a glob ('data/part-*.parquet'), resolved by
    /// <see cref="Xent.Data.DataSource.Open"/> so that a bad path is refused before any work, with the option's name.
    /// </summary>
    public static string DataInput(string? path, string option)
    {
        string full = Full(path, option);
        try { Xent.Data.DataSource.Open(full); }
        catch (Xent.Data.DataFormatException e) { throw new UserError($"{option} {LibraryMessages.ForCli(e.Message)}"); }
        return full;
    }

    /// <summary>
    /// A file the command writes at the end (atomically): its folder exists and is writable, it is not a folder, and an
    /// existing file is replaced only with <paramref name="force"/> and only when it is a regular file.
    /// </summary>
    public static string Output(string? path, string option, bool force)
    {
        string full = Full(path, option);
        if (Directory.Exists(full) || path!.EndsWith('/')) throw new UserError($"{option} {path} is a folder; give a file name inside it");
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder)) throw new UserError($"{option} {path}: the folder {folder} does not exist; create it first");
        if (Exists(full))
        {
            if (!IsRegularFile(full)) throw new UserError($"{option} {path} exists and is not a regular file (a link, device or pipe); xent replaces only regular files");
            if (!force) throw new UserError($"{path} already exists; pass --force to overwrite it or choose another {option}");
        }
        ProbeWritable(folder, option, path);
        return full;
    }

    /// <summary>A folder the command writes into (created when missing, at the time of the first write): not a file, parent writable.</summary>
    public static string OutputFolder(string? path, string option)
    {
        string full = Full(path, option);
        if (Exists(full) && !Directory.Exists(full)) throw new UserError($"{option} {path} is a file; give a folder");
        string existing = Directory.Exists(full) ? full : Path.GetDirectoryName(full.TrimEnd('/'))!;
        if (!Directory.Exists(existing)) throw new UserError($"{option} {path}: the folder {existing} does not exist; create it first");
        ProbeWritable(existing, option, path);
        return full;
    }

    private static string Full(string? path, string option)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UserError($"{option} needs a path; got an empty one");
        if (path.IndexOf('\0') >= 0) throw new UserError($"{option} '{path.Replace("\0", "\\0")}' is not a valid path");
        try { return Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UserError($"{option} '{path}' is not a valid path");
        }
    }

    private static void ProbeWritable(string folder, string option, string? path)
    {
        string probe = Path.Combine(folder, $".xent-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"{option} {path}: cannot write in the folder {folder} ({e.Message.ReplaceLineEndings(" ").TrimEnd('.')})", 1);
        }
    }

    /// <summary>True for anything at the path, including a broken symbolic link.</summary>
    public static bool Exists(string full) => File.Exists(full) || Directory.Exists(full) || new FileInfo(full).LinkTarget is not null;

    /// <summary>A regular file: not a symbolic link, folder, device, pipe or socket.</summary>
    public static bool IsRegularFile(string full)
    {
        var info = new FileInfo(full);
        if (!info.Exists || info.LinkTarget is not null || info.Attributes.HasFlag(FileAttributes.ReparsePoint)) return false;
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return true;
        try
        {
            // .NET reports devices and pipes as "Normal" files; the file type bits of lstat(2) tell them apart.
            if (LStat(full, out FileStatus status) != 0) return true;
            const int TypeMask = 0xF000, Regular = 0x8000;
            return (status.Mode & TypeMask) == Regular;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return true;
        }
    }

    // The runtime's own portable wrapper of lstat(2) (libSystem.Native ships with every .NET runtime on Unix).
    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_LStat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LStat(string path, out FileStatus status);

    [StructLayout(LayoutKind.Sequential)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
        public uint Uid, Gid;
        public long Size, ATime, ATimeNsec, MTime, MTimeNsec, CTime, CTimeNsec, BirthTime, BirthTimeNsec, Dev, RDev, Ino;
        public uint UserFlags;
    }
}

/// <summary>
/// Ownership of an output for the length of a run: a second xent run that would write the same file is refused instead
/// of silently replacing the first one's result. The lock is an advisory lock on a hidden file beside the output, which
/// the operating system releases if the process dies; the file itself is removed when the run ends.
/// </summary>
internal sealed class OutputLock : IDisposable
{
    private readonly FileStream _stream;
    private readonly string _path;
    private readonly object _cleanup;

    private OutputLock(FileStream stream, string path)
    {
        _stream = stream;
        _path = path;
        _cleanup = Cleanup.Add(Release);
    }

    public static OutputLock Acquire(string fullPath, string option)
    {
        string lockPath = Path.Combine(Path.GetDirectoryName(fullPath.TrimEnd('/'))!, $".{Path.GetFileName(fullPath.TrimEnd('/'))}.xent-lock");
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix: a second opener fails at once.
            var stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new OutputLock(stream, lockPath);
        }
        catch (IOException)
        {
            throw new UserError($"{option} {fullPath} is being written by another xent run (process holding {lockPath}); wait for it or choose another {option}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UserError($"{option} {fullPath}: cannot take the output lock {lockPath} ({e.Message})", 1);
        }
    }

    private void Release()
    {
        try { File.Delete(_path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _stream.Dispose();
    }

    public void Dispose()
    {
        Cleanup.Remove(_cleanup);
        Release();
    }
}
