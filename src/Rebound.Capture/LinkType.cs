namespace Rebound.Capture;

/// <summary>The link-layer header types Rebound decodes (numbers as in pcap's LINKTYPE_* registry).</summary>
public enum LinkType
{
    /// <summary>BSD loopback: a 4-byte address family in the capturing host's byte order.</summary>
    Null = 0,

    /// <summary>Ethernet II, with optional 802.1Q tags.</summary>
    Ethernet = 1,

    /// <summary>Raw IPv4 or IPv6, no link header.</summary>
    Raw = 101,

    /// <summary>OpenBSD loopback: a 4-byte address family in network byte order.</summary>
    Loop = 108,

    /// <summary>Linux "cooked" capture v1 (tcpdump -i any), 16-byte header.</summary>
    LinuxSll = 113,

    /// <summary>Linux "cooked" capture v2, 20-byte header.</summary>
    LinuxSll2 = 276,

    /// <summary>Raw IPv4 only.</summary>
    IPv4 = 228,

    /// <summary>Raw IPv6 only.</summary>
    IPv6 = 229,
}
