namespace Xent.Models;

/// <summary>
/// Writes a file so that it is either complete or absent: the bytes go to a temporary file in the same folder,
/// are flushed to disk, and the temporary file is renamed over the target. A failure deletes the temporary file
/// and leaves whatever was at the target untouched.
/// </summary>
internal static class AtomicFile
{
    private static readonly HashSet<string> Pending = [];
    private static volatile bool s_aborted;

    /// <summary>
    /// Writes <paramref name="path"/> through a temporary file. <paramref name="verify"/>, when given, reads the finished
    /// temporary file back before it replaces anything (so a file that its reader would reject is never installed).
    /// Without <paramref name="overwrite"/>, an existing target is never replaced, even one that appears during the write.
    /// </summary>
    public static void Write(string path, Action<Stream> write, bool overwrite = true, Action<string>? verify = null)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        if (Directory.Exists(fullPath)) throw new IOException($"{path} is a folder, not a file");
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{path}: the folder {directory} does not exist");
        if (!overwrite && File.Exists(fullPath)) throw new IOException($"{path} already exists");
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        lock (Pending)
        {
            if (s_aborted) throw new OperationCanceledException("the process is ending");
            Pending.Add(temporary);
        }
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            verify?.Invoke(temporary);
            lock (Pending)
            {
                if (s_aborted) throw new OperationCanceledException("the process is ending");
                // Without overwrite, rename(2) would still replace a file created meanwhile: link(2) refuses instead.
                if (overwrite) File.Move(temporary, fullPath, overwrite: true);
                else MoveNoReplace(temporary, fullPath, path);
            }
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        finally
        {
            lock (Pending) Pending.Remove(temporary);
        }
    }

    private static void MoveNoReplace(string temporary, string fullPath, string path)
    {
        if (File.Exists(fullPath)) throw new IOException($"{path} already exists");
        File.Move(temporary, fullPath, overwrite: false);
    }

    /// <summary>
    /// For a process that is about to end at once (a second Ctrl-C): deletes every temporary file being written and
    /// makes writes still in progress fail instead of installing their file.
    /// </summary>
    public static void AbortAll()
    {
        lock (Pending)
        {
            s_aborted = true;
            foreach (string temporary in Pending)
            {
                try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    public static void WriteAllText(string path, string text, bool overwrite = true) =>
        Write(path, stream => { using var writer = new StreamWriter(stream, leaveOpen: true); writer.Write(text); }, overwrite);
}
