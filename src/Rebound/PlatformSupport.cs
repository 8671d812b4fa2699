using System.Runtime.InteropServices;

namespace Rebound;

/// <summary>
/// Says whether this process can choose a datagram's source address. Only 64-bit little-endian Linux is implemented
/// (IP_PKTINFO / IPV6_PKTINFO with the LP64 cmsg layout). macOS and the BSDs (IP_RECVDSTADDR / IP_SENDSRCADDR) and
/// Windows (WSASendMsg with IN_PKTINFO) would each add their own I/O file beside <c>Interop/LinuxDatagramIO.cs</c>.
/// </summary>
internal static class PlatformSupport
{
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && Environment.Is64BitProcess && BitConverter.IsLittleEndian;

    public static void ThrowIfUnsupported()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException(
                $"Rebound needs Linux (IP_PKTINFO/IPV6_PKTINFO with sendmsg); this is {RuntimeInformation.OSDescription}. " +
                "Support for macOS/BSD (IP_RECVDSTADDR/IP_SENDSRCADDR) and Windows (WSASendMsg) is not written yet.");
        }

        if (!Environment.Is64BitProcess || !BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException(
                $"Rebound's control-message layout is written for 64-bit little-endian Linux; this process is {RuntimeInformation.ProcessArchitecture}.");
        }
    }
}
