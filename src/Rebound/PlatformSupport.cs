using System.Runtime.InteropServices;

namespace Rebound;

/// <summary>
/// Refuses, at <see cref="ReboundSocket.Bind(System.Net.IPEndPoint, ReboundSocketOptions?)"/> (and in
/// <see cref="SocketBatchExtensions"/>), to run where Rebound's
/// one I/O implementation cannot: it is written for 64-bit little-endian Linux only (IP_PKTINFO / IPV6_PKTINFO, the
/// LP64 cmsg layout, recvmmsg/sendmmsg, poll). Nothing is chosen per operating system; elsewhere Bind throws
/// <see cref="PlatformNotSupportedException"/> saying what is missing.
/// </summary>
internal static class PlatformSupport
{
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
