using System.Diagnostics;
using Xent.Distributed;

namespace Xent.Bench;

/// <summary>
/// The gradient all-reduce alone, under mpirun: MPI_Allreduce (sum, in place) of the mnist network's 235,146 gradients
/// plus the trainer's four scalars, back to back, after a warm-up. Every process reports its time per call; the slowest
/// is the cost a training step pays when the processes arrive together.
/// mpirun -q --allow-run-as-root --oversubscribe -np N dotnet bench/Xent.Bench/bin/Release/net10.0/Xent.Bench.dll --allreduce [floats] [calls]
/// </summary>
public static class AllReduceBenchmark
{
    public static int Run(int floats, int calls)
    {
        Environment.SetEnvironmentVariable("TERM", "dumb");   // mpirun's pseudo-terminal: no keypad-mode escape in the output
        using OpenMpi mpi = OpenMpi.Initialize();
        var buffer = new float[floats];
        for (int i = 0; i < 20; i++) mpi.AllReduceSum(buffer);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) mpi.AllReduceSum(buffer);
        double perCall = Stopwatch.GetElapsedTime(start).TotalMilliseconds / calls;
        // Every process's time, gathered by a sum of one-hot slots.
        var times = new double[mpi.Size];
        times[mpi.Rank] = perCall;
        mpi.AllReduceSum(times);
        if (mpi.Rank == 0)
        {
            double bytes = floats * 4.0, moved = 2.0 * (mpi.Size - 1) / mpi.Size * bytes;
            double slowest = times.Max();
            Console.WriteLine($"{mpi.Size} processes, {bytes / 1e6:F2} MB: {slowest:F3} ms per all-reduce (slowest process; all: {string.Join(", ", times.Select(t => t.ToString("F3")))}), " +
                $"{moved / 1e6 / slowest:F2} GB/s of ring traffic per process");
        }
        return 0;
    }
}
