namespace Xent.Testing;

/// <summary>
/// A base for test classes that write files: each test gets a fresh folder (xunit makes one instance per test), deleted
/// with everything in it when the test ends. Linked into both test projects.
/// </summary>
public abstract class TemporaryFolderTests(string prefix) : IDisposable
{
    /// <summary>The test's own folder, under the system's temporary folder.</summary>
    protected string Folder { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>A path inside <see cref="Folder"/>.</summary>
    protected string PathOf(string name) => Path.Combine(Folder, name);

    public void Dispose()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}
