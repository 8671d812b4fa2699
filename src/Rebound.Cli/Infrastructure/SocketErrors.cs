using System.Net;
using System.Net.Sockets;

namespace Rebound.Cli.Infrastructure;

/// <summary>Turns socket failures into one clear sentence and the matching exit code.</summary>
internal static class SocketErrors
{
    public static int Report(SocketException e, string action, EndPoint? endPoint)
    {
        (int code, string message) = Describe(e, action, endPoint);
        Console.Error.WriteLine($"rebound: {message}");
        return code;
    }

    /// <summary>The exit code and the sentence (without the <c>rebound:</c> prefix) <see cref="Report"/> prints.</summary>
    public static (int Code, string Message) Describe(SocketException e, string action, EndPoint? endPoint)
    {
        (int code, string hint) = e.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => (ExitCodes.Network, "another program already uses that port (see `ss -uapn`)"),
            SocketError.AddressNotAvailable => (ExitCodes.Network, "that address is not configured on this host"),
            SocketError.AccessDenied => (ExitCodes.Permission, "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"),
            SocketError.ConnectionRefused => (ExitCodes.Finding, "connection refused (for UDP: the peer answered ICMP port unreachable)"),
            SocketError.NetworkUnreachable or SocketError.HostUnreachable => (ExitCodes.Network, "no route to that address"),
            SocketError.AddressFamilyNotSupported => (ExitCodes.Network, "this host has no support for that address family"),
            _ => (ExitCodes.Network, e.Message),
        };
        return (code, $"cannot {action} {endPoint}: {hint}.");
    }
}
