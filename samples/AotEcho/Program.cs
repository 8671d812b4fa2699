using System.Net;
using Rebound;

// Usage: AotEcho [ADDR:PORT] [COUNT] — answers COUNT datagrams (default: forever) from each request's destination.
IPEndPoint listen = args.Length > 0 ? IPEndPoint.Parse(args[0]) : new IPEndPoint(IPAddress.IPv6Any, 56789);
int count = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : int.MaxValue;

using ReboundSocket socket = ReboundSocket.Bind(listen);
Console.Error.WriteLine($"AotEcho: listening on {socket.LocalEndPoint}");
byte[] buffer = new byte[65536];
for (int answered = 0; answered < count;)
{
    ReceivedDatagram request = socket.Receive(buffer);
    if (request.CanReply)
    {
        socket.Reply(request, buffer.AsSpan(0, request.Length));
        answered++;
    }
}
