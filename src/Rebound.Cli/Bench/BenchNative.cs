using System.Runtime.InteropServices;

namespace Rebound.Cli.Bench;

/// <summary>
/// The libc calls the load generator needs beyond recvmmsg/sendmmsg and poll():
/// pinning the load thread to a CPU, and the kernel's clock-tick rate for /proc CPU times.
/// </summary>
internal static unsafe partial class BenchNative
{
    private const int ScClockTicks = 2;

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SetAffinity(int threadId, nuint maskSize, ulong* mask);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SystemConfiguration(int name);

    /// <summary>Clock ticks per second, the unit of utime/stime in /proc/PID/stat (100 on every mainstream kernel).</summary>
    public static long ClockTicksPerSecond { get; } = OperatingSystem.IsLinux() ? Math.Max(1, SystemConfiguration(ScClockTicks)) : 100;

    /// <summary>Pins the calling thread to one CPU. Returns 0, or the errno (EINVAL when the CPU does not exist).</summary>
    public static int PinCurrentThread(int cpu)
    {
        const int Words = 16; // 1024 CPUs, the glibc cpu_set_t size
        if (cpu is < 0 or >= Words * 64)
        {
            return Interop.Errno.EINVAL;
        }

        ulong* mask = stackalloc ulong[Words];
        new Span<ulong>(mask, Words).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        return SetAffinity(0, Words * sizeof(ulong), mask) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }
}
