using System.Runtime.InteropServices;
using Rebound.Interop;

namespace Rebound.Cli.Bench;

/// <summary>
/// What the load generator needs beyond recvmmsg/sendmmsg and poll(): pinning the load thread to a CPU, and the
/// kernel's clock-tick rate for /proc CPU times.
/// </summary>
internal static unsafe class BenchNative
{
    /// <summary>Clock ticks per second, the unit of utime/stime in /proc/PID/stat (100 on every mainstream kernel).</summary>
    public static long ClockTicksPerSecond { get; } = OperatingSystem.IsLinux() ? Math.Max(1, Libc.SystemConfiguration(Libc.SC_CLK_TCK)) : 100;

    /// <summary>Pins the calling thread to one CPU. Returns <see cref="Errno.None"/>, or why not (EINVAL when the CPU does not exist).</summary>
    public static Errno PinCurrentThread(int cpu)
    {
        const int Words = 16; // 1024 CPUs, the glibc cpu_set_t size
        if (cpu is < 0 or >= Words * 64)
        {
            return Errno.EINVAL;
        }

        ulong* mask = stackalloc ulong[Words];
        new Span<ulong>(mask, Words).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        return Libc.SetAffinity(0, Words * sizeof(ulong), mask) == 0 ? Errno.None : Libc.LastError;
    }
}
