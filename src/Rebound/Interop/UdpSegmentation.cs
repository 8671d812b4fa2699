using System.Net.Sockets;
using static Rebound.Interop.LinuxConstants;

namespace Rebound.Interop;

/// <summary>
/// UDP generic segmentation offload (GSO, <c>UDP_SEGMENT</c>, Linux 4.18): a run of datagrams to one peer from one
/// source, all of one size but the last, which may be shorter, goes down the stack as one buffer. The kernel (or the
/// NIC) cuts it into the original datagrams at the last moment, so the route lookup, the netfilter hooks and, on
/// loopback and veth, the receive path up to the socket are paid once per run instead of once per datagram. The peer
/// receives exactly the datagrams it would have without it. This class holds the rule for which datagrams form a run
/// and whether the kernel offers the option; <see cref="TransmitBatch"/> applies it.
/// </summary>
/// <remarks>
/// The rule keeps within the kernel's limits: at most <see cref="MaxSegments"/> datagrams (UDP_MAX_SEGMENTS was 64
/// before Linux 6.x raised it), at most <see cref="MaxRunBytes"/> bytes (a UDP payload cannot exceed 65,507 bytes), no
/// empty datagram (an empty last segment would vanish). A segment larger than the route's MTU makes the kernel refuse
/// the whole send (EINVAL, EMSGSIZE), and so does, before Linux 6.11, a device without checksum offload (EIO; IPsec
/// still does); the sender then sends that run one datagram at a time and remembers the limit, so nothing is lost and
/// the refusal is not repeated.
/// Set the environment variable <c>REBOUND_UDP_GSO=0</c> (or <c>false</c>, <c>off</c>, <c>no</c>, in any case), or the
/// AppContext switch <c>Rebound.DisableUdpSegmentation</c>, to send every datagram on its own.
/// </remarks>
internal static class UdpSegmentation
{
    /// <summary>The most datagrams one send carries.</summary>
    public const int MaxSegments = 64;

    /// <summary>The most payload bytes one send carries.</summary>
    public const int MaxRunBytes = 65_000;

    /// <summary>True when this kernel takes UDP_SEGMENT and nobody switched it off.</summary>
    public static bool IsEnabled { get; } = !SwitchedOff() && KernelSupports();

    /// <summary>
    /// Whether a datagram of <paramref name="length"/> bytes joins a run whose first datagram has
    /// <paramref name="segmentSize"/> bytes and which holds <paramref name="count"/> datagrams, <paramref name="bytes"/>
    /// bytes so far (the caller checks the addressing is the same). A shorter datagram may join, but it ends the run.
    /// </summary>
    public static bool Joins(int segmentSize, int count, int bytes, int length) =>
        length > 0 && length <= segmentSize && count < MaxSegments && bytes + length <= MaxRunBytes;

    /// <summary>Whether a datagram of <paramref name="length"/> bytes may start a run (larger ones are sent alone).</summary>
    public static bool CanStart(int length, int largestSegment) => length > 0 && length <= largestSegment;

    private static bool SwitchedOff() =>
        Environment.GetEnvironmentVariable("REBOUND_UDP_GSO")?.Trim().ToLowerInvariant() is "0" or "false" or "off" or "no" ||
        (AppContext.TryGetSwitch("Rebound.DisableUdpSegmentation", out bool off) && off);

    /// <summary>Kernels that know UDP_SEGMENT answer getsockopt for it; older ones would ignore the control message.</summary>
    private static bool KernelSupports()
    {
        if (!PlatformSupport.HasPacketInfo)
        {
            return false;
        }

        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            Span<byte> value = stackalloc byte[4];
            probe.GetRawSocketOption(SOL_UDP, UDP_SEGMENT, value);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
