using System.Runtime.InteropServices;

namespace Xent.Distributed;

/// <summary>
/// <see cref="ICollectives"/> on Open MPI (Debian's <c>openmpi-bin</c> and <c>libopenmpi-dev</c>, <c>libmpi.so.40</c>),
/// through the few C calls it needs: MPI_Init_thread, MPI_Comm_rank/size, MPI_Allreduce (sum, in place), MPI_Bcast,
/// MPI_Abort and MPI_Finalize, all on MPI_COMM_WORLD. Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …) are
/// the addresses of global objects in the library (<c>ompi_mpi_comm_world</c>, …), found with
/// <see cref="NativeLibrary.GetExport"/>; MPI_IN_PLACE is <c>(void*)1</c> in Open MPI's mpi.h. Calls must come from one
/// thread at a time (MPI_THREAD_SERIALIZED). MPI_Allreduce with Open MPI's default algorithms adds in an order that
/// depends only on the number of processes and the message length, so a run repeats bit for bit with the same count.
/// </summary>
public sealed unsafe class OpenMpi : ICollectives, IDisposable
{
    private const string LibraryName = "libmpi.so.40";
    private const int ThreadSerialized = 2;   // MPI_THREAD_SERIALIZED in Open MPI's mpi.h
    private const int Success = 0;

    private static OpenMpi? s_instance;

    private readonly nint _library;
    private readonly nint _world, _float, _double, _int, _byte, _sum;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, int> _bcast;
    private readonly delegate* unmanaged<nint, int, int> _abort;
    private readonly delegate* unmanaged<int> _finalize;
    private bool _finalized;

    private OpenMpi()
    {
        if (!NativeLibrary.TryLoad(LibraryName, out _library))
            throw new DllNotFoundException($"cannot load Open MPI's {LibraryName}; install it with: apt-get install openmpi-bin libopenmpi-dev");
        _world = Export("ompi_mpi_comm_world");
        _float = Export("ompi_mpi_float");
        _double = Export("ompi_mpi_double");
        _int = Export("ompi_mpi_int");
        _byte = Export("ompi_mpi_byte");
        _sum = Export("ompi_mpi_op_sum");
        _allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        _bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export("MPI_Bcast");
        _abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        var initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export("MPI_Init_thread");
        var commRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        var commSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");

        int provided, rank, size;
        Check(initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
        Check(commRank(_world, &rank), "MPI_Comm_rank");
        Check(commSize(_world, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
    }

    /// <summary>Initialises MPI once per process (MPI cannot be initialised twice) and returns the world group.</summary>
    /// <returns>The group of every process of the job (MPI_COMM_WORLD).</returns>
    /// <exception cref="DllNotFoundException">libmpi.so.40 (Open MPI) is not installed.</exception>
    public static OpenMpi Initialize() => s_instance ??= new OpenMpi();

    /// <summary>Whether the process was started by Open MPI's launcher (mpirun sets OMPI_COMM_WORLD_SIZE, PMIx sets PMIX_RANK).</summary>
    public static bool LaunchedByMpirun =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is { Length: > 0 } || Environment.GetEnvironmentVariable("PMIX_RANK") is { Length: > 0 };

    /// <summary>The launcher's world size (OMPI_COMM_WORLD_SIZE); null when the launcher does not say (PMIx alone, or no launcher).</summary>
    public static int? LauncherSize => int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"), out int size) && size > 0 ? size : null;

    /// <summary>The launcher's rank of this process, or 0 outside mpirun.</summary>
    public static int LauncherRank =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK") ?? Environment.GetEnvironmentVariable("PMIX_RANK"), out int rank) ? rank : 0;

    /// <inheritdoc/>
    public int Rank { get; }
    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values) => AllReduce(values, _float);
    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values) => AllReduce(values, _double);
    /// <inheritdoc/>
    public void AllReduceSum(Span<int> values) => AllReduce(values, _int);

    private void AllReduce<T>(Span<T> values, nint type) where T : unmanaged
    {
        if (values.IsEmpty) return;
        // MPI counts are ints: larger buffers go in slices, the same on every process.
        for (int start = 0; start < values.Length; start += int.MaxValue / 2)
        {
            Span<T> part = values.Slice(start, Math.Min(int.MaxValue / 2, values.Length - start));
            fixed (T* p = part) Check(_allreduce((void*)1, p, part.Length, type, _sum, _world), "MPI_Allreduce");
        }
    }

    /// <inheritdoc/>
    public void Broadcast(Span<byte> values, int root)
    {
        if (values.IsEmpty) return;
        fixed (byte* p = values) Check(_bcast(p, values.Length, _byte, root, _world), "MPI_Bcast");
    }

    /// <inheritdoc/>
    public void Broadcast(Span<float> values, int root)
    {
        if (values.IsEmpty) return;
        fixed (float* p = values) Check(_bcast(p, values.Length, _float, root, _world), "MPI_Bcast");
    }

    /// <summary>MPI_Abort on MPI_COMM_WORLD: the launcher ends every process of the job.</summary>
    /// <param name="exitCode">The exit code the launcher reports.</param>
    public void Abort(int exitCode)
    {
        _abort(_world, exitCode);
        Environment.Exit(exitCode);   // MPI_Abort does not return; this is only if it did
    }

    /// <summary>MPI_Finalize: every process must call it before it exits normally.</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        _finalize();
    }

    private nint Export(string name) =>
        NativeLibrary.TryGetExport(_library, name, out nint address) ? address
            : throw new EntryPointNotFoundException($"{LibraryName} has no symbol '{name}'; is it Open MPI 4 or later?");

    // Open MPI's default error handler on MPI_COMM_WORLD aborts the job, so a failed call rarely returns here.
    private static void Check(int code, string call)
    {
        if (code != Success) throw new InvalidOperationException($"{call} failed with MPI error {code}");
    }
}
