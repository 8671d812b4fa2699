using System.Runtime.InteropServices;

namespace Rebound.Interop;

/// <summary><c>struct sockaddr_ll</c> (20 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LinkLayerAddress
{
    public ushort Family;
    public ushort Protocol;
    public int InterfaceIndex;
    public ushort HardwareType;
    public byte PacketType;
    public byte AddressLength;
    public ulong Address;
}

/// <summary><c>struct sock_filter</c>: one classic BPF instruction.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FilterInstruction(ushort code, byte jumpTrue, byte jumpFalse, uint value)
{
    public ushort Code = code;
    public byte JumpTrue = jumpTrue;
    public byte JumpFalse = jumpFalse;
    public uint Value = value;
}

/// <summary><c>struct sock_fprog</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FilterProgram
{
    public ushort Length;
    public FilterInstruction* Instructions;
}

// AF_PACKET sockets for live capture, with kernel receive times and a classic BPF filter (.NET's Socket cannot bind
// a packet socket to an interface).
internal static unsafe partial class Libc
{
    public const int AF_PACKET = 17;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_CLOEXEC = 0x80000;
    public const ushort ETH_P_ALL = 0x0003;
    public const int SO_ATTACH_FILTER = 26;
    public const int SO_TIMESTAMPNS = 35;
    public const int SCM_TIMESTAMPNS = SO_TIMESTAMPNS;

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    public static partial int OpenSocket(int domain, int type, int protocol);

    [LibraryImport(Library, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(SafeHandle socket, LinkLayerAddress* address, int length);

    /// <summary>recvmsg on a descriptor that is not a .NET socket (the capture's own handle).</summary>
    [LibraryImport(Library, EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint ReceivePacket(SafeHandle socket, MessageHeader* message, int flags);

    [LibraryImport(Library, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetOption(SafeHandle socket, int level, int name, void* value, int length);

    public static ushort HostToNetwork(ushort value) => BitConverter.IsLittleEndian ? (ushort)((value << 8) | (value >> 8)) : value;
}
