namespace Rebound.Interop;

/// <summary>Linux socket-layer numbers used by the interop layer (from the kernel's uapi headers).</summary>
internal static class LinuxConstants
{
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;

    public const int SOL_SOCKET = 1;
    public const int SOL_IP = 0;
    public const int SOL_IPV6 = 41;
    public const int SOL_UDP = 17;

    public const int SO_REUSEPORT = 15;
    public const int SO_MEMINFO = 55;

    public const int IP_PKTINFO = 8;
    public const int IP_ADD_MEMBERSHIP = 35;
    public const int IP_DROP_MEMBERSHIP = 36;
    public const int IPV6_ADD_MEMBERSHIP = 20;
    public const int IPV6_DROP_MEMBERSHIP = 21;
    public const int IPV6_RECVPKTINFO = 49;
    public const int IPV6_PKTINFO = 50;

    /// <summary>UDP generic segmentation offload (Linux 4.18): one send carries several datagrams of one size.</summary>
    public const int UDP_SEGMENT = 103;

    public const int MSG_CTRUNC = 0x8;
    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_WAITFORONE = 0x10000;

    public const int SizeOfSockAddrIn = 16;
    public const int SizeOfSockAddrIn6 = 28;
}
