using System.Runtime.InteropServices;

namespace Rebound.Interop;

// Layouts of the kernel structures used by recvmsg/sendmsg/recvmmsg/sendmmsg on 64-bit Linux (LP64:
// x86-64 and arm64 share them). Offsets are asserted in the unit tests.

/// <summary><c>struct iovec</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public byte* Base;
    public nuint Length;
}

/// <summary><c>struct msghdr</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MessageHeader
{
    public byte* Name;
    public uint NameLength;
    public IoVec* IoVectors;
    public nuint IoVectorCount;
    public byte* Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary><c>struct mmsghdr</c>: one message of a recvmmsg/sendmmsg batch.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MultiMessageHeader
{
    public MessageHeader Header;
    public uint Length;
}
