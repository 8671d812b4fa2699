using System.Net;
using System.Net.Sockets;
using Rebound.Lab;

namespace Rebound.Cli.Lab;

/// <summary>One server's outcome in the loopback demonstration.</summary>
internal sealed record LoopbackResult(ServerKind Server, Verdict Expected, Verdict Verdict, IReadOnlyList<ClientMessage> Messages, IPEndPoint Target, IPEndPoint? SeenFrom)
{
    public bool MatchesExpectation => Verdict == Expected;
}

/// <summary>
/// The failure without root or namespaces: a client bound to 127.0.0.1 and connected to 127.0.0.2 asks a server on
/// 0.0.0.0. A naive reply leaves from 127.0.0.1 (the kernel's choice for that destination) and the connected client
/// drops it; Rebound's reply leaves from 127.0.0.2. An unconnected probe socket shows where each reply came from.
/// Only loopback traffic.
/// </summary>
internal static class LoopbackDemo
{
    public static readonly IPAddress ClientAddress = IPAddress.Loopback;
    public static readonly IPAddress ServerAddress = IPAddress.Parse("127.0.0.2");
    private const int ReplyTimeoutMs = 500;

    /// <summary>Runs the naive server, then the Rebound one.</summary>
    public static IReadOnlyList<LoopbackResult> Run() => [Run(ServerKind.Naive, Verdict.Fails), Run(ServerKind.Rebound, Verdict.Works)];

    private static LoopbackResult Run(ServerKind kind, Verdict expected)
    {
        using LabServer server = LabServer.Start(kind, new IPEndPoint(IPAddress.Any, 0));
        var target = new IPEndPoint(ServerAddress, server.LocalEndPoint.Port);
        List<ClientMessage> messages;
        using (Socket client = NewClient())
        {
            client.Connect(target);
            messages = [.. LabBench.Messages.Select(text => LabBench.ExchangeDatagram(client, text))];
        }

        IPEndPoint? seenFrom;
        using (Socket probe = NewClient())
        {
            probe.SendTo("probe"u8, target);
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            try
            {
                probe.ReceiveFrom(new byte[64], ref from);
                seenFrom = (IPEndPoint)from;
            }
            catch (SocketException)
            {
                seenFrom = null;
            }
        }

        bool answered = messages.All(m => m.Answered);
        Verdict verdict = !answered ? Verdict.Fails : target.Equals(seenFrom) ? Verdict.Works : Verdict.Unproven;
        return new LoopbackResult(kind, expected, verdict, messages, target, seenFrom);
    }

    private static Socket NewClient()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = ReplyTimeoutMs };
        socket.Bind(new IPEndPoint(ClientAddress, 0));
        return socket;
    }
}
