namespace Xent.Models;

/// <summary>
/// Writes a file so that it is either complete or absent: the bytes go to a temporary file in the same folder,
/// are flushed to disk, and the temporary file is renamed over the target. A failure deletes the temporary file
/// and leaves whatever was at the target untouched.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write, bool overwrite = true)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{path}: the folder {directory} does not exist");
        if (!overwrite && File.Exists(fullPath)) throw new IOException($"{path} already exists");
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    public static void WriteAllText(string path, string text, bool overwrite = true) =>
        Write(path, stream => { using var writer = new StreamWriter(stream, leaveOpen: true); writer.Write(text); }, overwrite);
}
