namespace Rebound;

/// <summary>
/// How a <see cref="ReboundSocket"/> makes replies leave from the address each request was sent to. Both give the same
/// answers through the same API; they differ in what the OS must offer and what they cost.
/// </summary>
public enum SourceAddressStrategy
{
    /// <summary><see cref="PacketInfo"/> where this OS has it in Rebound (64-bit Linux), <see cref="PerAddress"/> elsewhere.</summary>
    Automatic,

    /// <summary>
    /// One wildcard socket; each request's destination is read from IP_PKTINFO / IPV6_PKTINFO and the reply is sent with
    /// it as the source. One descriptor, no address tracking, batched system calls. 64-bit Linux only for now.
    /// </summary>
    PacketInfo,

    /// <summary>
    /// One socket per unicast local address on the port, kept in step with the host's addresses; a request is answered
    /// on the socket it arrived on, so its source is right by construction. Managed APIs only, so it runs on every OS
    /// .NET runs on. Costs one descriptor per address, and a new address is served within about a second. See
    /// docs/library.md for its limits.
    /// </summary>
    PerAddress,
}
