using System.Runtime.InteropServices;

namespace Rebound.Capture;

/// <summary>The libc calls an AF_PACKET capture socket needs; .NET's Socket cannot bind a packet socket to an interface.</summary>
internal static unsafe partial class CaptureInterop
{
    public const int AF_PACKET = 17;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_CLOEXEC = 0x80000;
    public const ushort ETH_P_ALL = 0x0003;
    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int SOL_SOCKET = 1;
    public const int SO_ATTACH_FILTER = 26;
    public const int SO_TIMESTAMPNS = 35;
    public const int SCM_TIMESTAMPNS = SO_TIMESTAMPNS;

    /// <summary><c>struct sock_filter</c>: one classic BPF instruction.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct FilterInstruction(ushort code, byte jumpTrue, byte jumpFalse, uint value)
    {
        public ushort Code = code;
        public byte JumpTrue = jumpTrue;
        public byte JumpFalse = jumpFalse;
        public uint Value = value;
    }

    /// <summary><c>struct sock_fprog</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct FilterProgram
    {
        public ushort Length;
        public FilterInstruction* Instructions;
    }

    /// <summary><c>struct iovec</c> (LP64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary><c>struct msghdr</c> (LP64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MessageHeader
    {
        public void* Name;
        public int NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary><c>struct sockaddr_ll</c> (20 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct LinkLayerAddress
    {
        public ushort Family;
        public ushort Protocol;
        public int InterfaceIndex;
        public ushort HardwareType;
        public byte PacketType;
        public byte AddressLength;
        public ulong Address;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int OpenSocket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(SafeHandle socket, LinkLayerAddress* address, int length);

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    public static partial nint ReceiveFrom(SafeHandle socket, byte* buffer, nuint length, int flags, LinkLayerAddress* address, int* addressLength);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint ReceiveMessage(SafeHandle socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetOption(SafeHandle socket, int level, int name, void* value, int length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(nint descriptor);

    public static ushort HostToNetwork(ushort value) => BitConverter.IsLittleEndian ? (ushort)((value << 8) | (value >> 8)) : value;
}
