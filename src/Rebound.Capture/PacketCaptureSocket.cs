using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Rebound.Interop;
using static Rebound.Interop.Libc;

namespace Rebound.Capture;

/// <summary>Which way a captured packet was going, from the capturing host's point of view (sll_pkttype).</summary>
public enum PacketDirection
{
    /// <summary>Addressed to this host.</summary>
    Incoming,

    /// <summary>Sent by this host.</summary>
    Outgoing,

    /// <summary>Broadcast, multicast, or another host's (promiscuous/bridged).</summary>
    Other,
}

/// <summary>One packet read from a <see cref="PacketCaptureSocket"/>: the IP packet starts at offset 0 of the buffer.</summary>
public readonly record struct CapturedFrame(int CapturedLength, int OriginalLength, int InterfaceIndex, PacketDirection Direction, DateTimeOffset Timestamp);

/// <summary>
/// A live capture without libpcap or tcpdump: an AF_PACKET datagram socket (the kernel strips the link header, so every
/// frame is a bare IP packet, <see cref="LinkType.Raw"/>), optionally bound to one interface. Needs CAP_NET_RAW (root).
/// It captures in whichever network namespace the creating thread is in (see <c>NetworkNamespace.Run</c>). With
/// <c>udpAndIcmpOnly</c> a kernel filter (<see cref="CaptureFilter"/>) drops everything else before user space. Every
/// frame carries the kernel's receive time (SO_TIMESTAMPNS), not the time user space got to it: copies of one packet on
/// two interfaces keep their real microseconds apart however far behind the reader is.
/// </summary>
public sealed unsafe class PacketCaptureSocket : IDisposable
{
    private readonly DescriptorHandle _handle;

    private PacketCaptureSocket(DescriptorHandle handle, int interfaceIndex)
    {
        _handle = handle;
        InterfaceIndex = interfaceIndex;
    }

    /// <summary>The interface captured on, or 0 for all interfaces of the namespace.</summary>
    public int InterfaceIndex { get; }

    /// <summary>Opens a capture on <paramref name="interfaceIndex"/> (0 = every interface).</summary>
    /// <exception cref="UnauthorizedAccessException">Not root (CAP_NET_RAW missing).</exception>
    public static PacketCaptureSocket Open(int interfaceIndex, bool udpAndIcmpOnly = false)
    {
        int fd = OpenSocket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, HostToNetwork(ETH_P_ALL));
        if (fd < 0)
        {
            Errno errno = Libc.LastError;
            string message = $"cannot open a packet capture socket: {errno.Describe()}";
            throw errno is Errno.EPERM or Errno.EACCES ? new UnauthorizedAccessException(message + " (capturing needs root or CAP_NET_RAW)") : new IOException(message);
        }

        var handle = new DescriptorHandle(fd);
        int on = 1;
        if (SetOption(handle, LinuxConstants.SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(int)) != 0)
        {
            Errno errno = Libc.LastError;
            handle.Dispose();
            throw new IOException($"cannot ask for kernel timestamps: {errno.Describe()}");
        }

        if (udpAndIcmpOnly)
        {
            AttachFilter(handle);
        }

        var address = new LinkLayerAddress { Family = AF_PACKET, Protocol = HostToNetwork(ETH_P_ALL), InterfaceIndex = interfaceIndex };
        if (Bind(handle, &address, sizeof(LinkLayerAddress)) != 0)
        {
            Errno errno = Libc.LastError;
            handle.Dispose();
            throw new IOException($"cannot capture on interface {interfaceIndex}: {errno.Describe()}");
        }

        return new PacketCaptureSocket(handle, interfaceIndex);
    }

    /// <summary>Opens a capture on the named interface of the current namespace.</summary>
    public static PacketCaptureSocket Open(string interfaceName, bool udpAndIcmpOnly = false)
    {
        int index = InterfaceNames.IndexOf(interfaceName);
        return index > 0 ? Open(index, udpAndIcmpOnly) : throw new ArgumentException($"there is no interface named '{interfaceName}' here.", nameof(interfaceName));
    }

    /// <summary>Waits up to <paramref name="timeout"/> for a packet; false when none came.</summary>
    public bool TryReceive(Span<byte> buffer, TimeSpan timeout, out CapturedFrame frame)
    {
        frame = default;
        var poll = new PollDescriptor { Descriptor = (int)_handle.DangerousGetHandle(), Events = POLLIN };
        int ready = Poll(&poll, 1, (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue));
        if (ready <= 0)
        {
            return false;
        }

        LinkLayerAddress from;
        const int ControlSize = 64;
        byte* control = stackalloc byte[ControlSize];
        nint length;
        fixed (byte* data = buffer)
        {
            var vector = new IoVec { Base = data, Length = (nuint)buffer.Length };
            var message = new MessageHeader
            {
                Name = (byte*)&from, NameLength = (uint)sizeof(LinkLayerAddress), IoVectors = &vector, IoVectorCount = 1,
                Control = control, ControlLength = ControlSize,
            };
            length = ReceivePacket(_handle, &message, LinuxConstants.MSG_TRUNC | LinuxConstants.MSG_DONTWAIT);
            if (length >= 0)
            {
                frame = frame with { Timestamp = KernelTime(control, (int)message.ControlLength) };
            }
        }

        if (length < 0)
        {
            Errno errno = Libc.LastError;
            return errno is Errno.EAGAIN or Errno.EINTR ? false : throw new IOException($"capture failed: {errno.Describe()}");
        }

        PacketDirection direction = from.PacketType switch
        {
            0 => PacketDirection.Incoming,   // PACKET_HOST
            4 => PacketDirection.Outgoing,   // PACKET_OUTGOING
            _ => PacketDirection.Other,
        };
        frame = new CapturedFrame((int)Math.Min(length, buffer.Length), (int)length, from.InterfaceIndex, direction, frame.Timestamp);
        return true;
    }

    /// <summary>The SCM_TIMESTAMPNS control message's time (a <c>struct timespec</c>); now, if the kernel sent none.</summary>
    private static DateTimeOffset KernelTime(byte* control, int length)
    {
        int offset = 0;
        while (offset + 16 <= length)
        {
            long size = *(long*)(control + offset);
            int level = *(int*)(control + offset + 8);
            int type = *(int*)(control + offset + 12);
            if (size < 16 || offset + size > length)
            {
                break;
            }

            if (level == LinuxConstants.SOL_SOCKET && type == SCM_TIMESTAMPNS && size >= 32)
            {
                long seconds = *(long*)(control + offset + 16);
                long nanoseconds = *(long*)(control + offset + 24);
                return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanoseconds / 100);
            }

            offset += (int)((size + 7) & ~7L);
        }

        return DateTimeOffset.UtcNow;
    }

    private static void AttachFilter(DescriptorHandle handle)
    {
        FilterInstruction[] instructions = CaptureFilter.Program();
        fixed (FilterInstruction* code = instructions)
        {
            var program = new FilterProgram { Length = (ushort)instructions.Length, Instructions = code };
            if (SetOption(handle, LinuxConstants.SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(FilterProgram)) != 0)
            {
                Errno errno = Libc.LastError;
                handle.Dispose();
                throw new IOException($"cannot attach the UDP/ICMP capture filter: {errno.Describe()}");
            }
        }
    }

    /// <summary>Stops capturing.</summary>
    public void Dispose() => _handle.Dispose();

    private sealed class DescriptorHandle : SafeHandleMinusOneIsInvalid
    {
        public DescriptorHandle(int fd)
            : base(ownsHandle: true) => SetHandle(fd);

        protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
    }
}
