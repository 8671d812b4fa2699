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

// AF_PACKET sockets for live capture; .NET's Socket cannot bind a packet socket to an interface.
internal static unsafe partial class Libc
{
    public const int AF_PACKET = 17;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_CLOEXEC = 0x80000;
    public const ushort ETH_P_ALL = 0x0003;

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    public static partial int OpenSocket(int domain, int type, int protocol);

    [LibraryImport(Library, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(SafeHandle socket, LinkLayerAddress* address, int length);

    [LibraryImport(Library, EntryPoint = "recvfrom", SetLastError = true)]
    public static partial nint ReceiveFrom(SafeHandle socket, byte* buffer, nuint length, int flags, LinkLayerAddress* address, int* addressLength);

    public static ushort HostToNetwork(ushort value) => BitConverter.IsLittleEndian ? (ushort)((value << 8) | (value >> 8)) : value;
}
