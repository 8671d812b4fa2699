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

/// <summary>The documented names of <see cref="LinkType"/> (docs/output.md): what <c>analyze</c> prints, never a C# name.</summary>
public static class LinkTypeNames
{
    /// <summary><c>ethernet</c>, <c>linux-sll2</c>…; <c>link-type-N</c> for a number this enum does not name.</summary>
    public static string Name(LinkType type) => type switch
    {
        LinkType.Null => "null",
        LinkType.Ethernet => "ethernet",
        LinkType.Raw => "raw",
        LinkType.Loop => "loop",
        LinkType.LinuxSll => "linux-sll",
        LinkType.LinuxSll2 => "linux-sll2",
        LinkType.IPv4 => "ipv4",
        LinkType.IPv6 => "ipv6",
        _ => $"link-type-{(int)type}",
    };
}
