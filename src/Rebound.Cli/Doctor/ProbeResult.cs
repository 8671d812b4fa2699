using System.Net;

namespace Rebound.Cli.Doctor;

/// <summary>What one probe of one listener at one local address showed.</summary>
internal enum ProbeVerdict
{
    /// <summary>The reply came from the address and port the request was sent to.</summary>
    Ok,

    /// <summary>The reply came from another address (or port): a connected client would drop it. The bug, proven.</summary>
    WrongSource,

    /// <summary>No reply before the timeout: the service may ignore this payload. Inconclusive, never OK.</summary>
    NoReply,

    /// <summary>ICMP port unreachable: nothing listens for this address and port (e.g. an IPv6-only socket asked over IPv4).</summary>
    Refused,

    /// <summary>The probe could not be sent (no route, address gone…). Inconclusive.</summary>
    Error,

    /// <summary>
    /// The kernel refused to send the probe because NAT rewrote its destination to another host, which a packet from a
    /// loopback address may not reach (EINVAL). Docker's DNAT for published ports does this. Inconclusive by itself.
    /// </summary>
    NotSent,
}

/// <summary>
/// The outcome of sending one request to <c>Target:Port</c> from <c>Source</c>; <c>Client</c> names the client's network
/// namespace when the request came from there (<c>--from-…</c>) rather than from the inspected namespace itself.
/// </summary>
internal sealed record ProbeResult(int Port, string Protocol, LocalAddress Target, IPAddress Source, ProbeVerdict Verdict, IPEndPoint? RepliedFrom, string Detail, string? Client = null)
{
    /// <summary>The verdict as the table prints it.</summary>
    public static string Describe(ProbeVerdict verdict) => verdict switch
    {
        ProbeVerdict.Ok => "OK",
        ProbeVerdict.WrongSource => "WRONG SOURCE",
        ProbeVerdict.NoReply => "NO REPLY",
        ProbeVerdict.Refused => "REFUSED",
        ProbeVerdict.NotSent => "NOT SENT",
        _ => "ERROR",
    };
}
