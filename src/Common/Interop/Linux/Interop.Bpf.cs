using System.Runtime.InteropServices;

namespace Rebound.Interop;

/// <summary>
/// The raw <c>bpf(2)</c> system call, reached through libc's <c>syscall</c> (glibc has no bpf wrapper). Every BPF
/// operation of the shield goes through <see cref="Invoke{T}"/> with one of the attribute structs in BpfAttributes.cs.
/// </summary>
internal static unsafe partial class BpfCalls
{
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long command, void* attributes, nuint size);

    /// <summary>The bpf syscall number of this CPU (x86_64 321, arm64 280).</summary>
    public static long SyscallNumber => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        var other => throw new PlatformNotSupportedException($"rebound shield knows the bpf syscall number of x64 and arm64, not {other}"),
    };

    /// <summary>Runs one command; returns its non-negative result or -1 with the errno in <paramref name="errno"/>.</summary>
    public static long Invoke<T>(BpfCommand command, ref T attributes, out Errno errno)
        where T : unmanaged
    {
        long number = SyscallNumber;
        fixed (T* pointer = &attributes)
        {
            long result = Syscall(number, (long)command, pointer, (nuint)sizeof(T));
            errno = result < 0 ? Libc.LastError : Errno.None;
            return result;
        }
    }
}

/// <summary>The <c>bpf(2)</c> commands the shield uses (enum bpf_cmd).</summary>
internal enum BpfCommand
{
    MapCreate = 0,
    MapLookupElement = 1,
    MapUpdateElement = 2,
    MapDeleteElement = 3,
    MapGetNextKey = 4,
    ProgramLoad = 5,
    ObjectPin = 6,
    ObjectGet = 7,
    ProgramAttach = 8,
    ProgramDetach = 9,
    ProgramTestRun = 10,
    ProgramGetFdById = 13,
    ObjectGetInfoByFd = 15,
    ProgramQuery = 16,
    LinkCreate = 28,
    LinkDetach = 34,
}

/// <summary>Map types (enum bpf_map_type).</summary>
internal enum BpfMapType : uint
{
    Hash = 1,
    Array = 2,
    PerCpuArray = 6,
    LruHash = 9,
}

/// <summary>Program types (enum bpf_prog_type).</summary>
internal enum BpfProgramType : uint
{
    CgroupSkb = 8,
    CgroupSockAddr = 18,
}

/// <summary>Attach points (enum bpf_attach_type).</summary>
internal enum BpfAttachType : uint
{
    CgroupInetIngress = 0,
    CgroupInetEgress = 1,
    CgroupUdp4SendMessage = 14,
    CgroupUdp6SendMessage = 15,
}
