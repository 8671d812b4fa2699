using System.Runtime.InteropServices;

namespace Rebound;

/// <summary>
/// Decides which <see cref="SourceAddressStrategy"/> a socket uses on this OS. Packet info is written for 64-bit
/// little-endian Linux (IP_PKTINFO / IPV6_PKTINFO with the LP64 cmsg layout); everywhere else the per-address strategy
/// (managed APIs only) serves. macOS/BSD (IP_RECVDSTADDR + IP_SENDSRCADDR, IPV6_PKTINFO) and Windows (WSARecvMsg /
/// WSASendMsg with IP_PKTINFO) packet-info paths are planned as one I/O file each beside <c>Interop/LinuxDatagramIO.cs</c>,
/// chosen here; see docs/platforms.md.
/// </summary>
internal static class PlatformSupport
{
    /// <summary>True where the packet-info strategy is implemented.</summary>
    public static bool HasPacketInfo =>
        OperatingSystem.IsLinux() && Environment.Is64BitProcess && BitConverter.IsLittleEndian;

    /// <summary>The strategy a socket asking for <paramref name="requested"/> gets here.</summary>
    /// <exception cref="PlatformNotSupportedException">Packet info was asked for where it is not implemented.</exception>
    public static SourceAddressStrategy Resolve(SourceAddressStrategy requested)
    {
        switch (requested)
        {
            case SourceAddressStrategy.Automatic:
                return HasPacketInfo ? SourceAddressStrategy.PacketInfo : SourceAddressStrategy.PerAddress;
            case SourceAddressStrategy.PerAddress:
                return requested;
            case SourceAddressStrategy.PacketInfo:
                ThrowIfNoPacketInfo();
                return requested;
            default:
                throw new ArgumentOutOfRangeException(nameof(requested), requested, "Unknown strategy.");
        }
    }

    private static void ThrowIfNoPacketInfo()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException(
                $"Rebound's packet-info strategy is written for Linux (IP_PKTINFO/IPV6_PKTINFO with sendmsg); this is {RuntimeInformation.OSDescription}. " +
                "Use SourceAddressStrategy.Automatic or PerAddress here; the macOS/BSD and Windows packet-info paths are not written yet.");
        }

        if (!Environment.Is64BitProcess || !BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException(
                $"Rebound's control-message layout is written for 64-bit little-endian Linux; this process is {RuntimeInformation.ProcessArchitecture}. " +
                "Use SourceAddressStrategy.Automatic or PerAddress here.");
        }
    }
}
