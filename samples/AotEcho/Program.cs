using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Rebound;

// Usage: AotEcho [ADDR:PORT] [COUNT] — answers COUNT datagrams (default: forever) from each request's destination.
// A reply the kernel refuses (no route back, a firewall, a vanished local address) costs that reply, not the server.
IPEndPoint listen = args.Length > 0 ? IPEndPoint.Parse(args[0]) : new IPEndPoint(IPAddress.IPv6Any, 56789);
int count = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : int.MaxValue;

using ReboundSocket socket = ReboundSocket.Bind(listen);
using var stop = new CancellationTokenSource();
using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using PosixSignalRegistration onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
Console.Error.WriteLine($"AotEcho: listening on {socket.LocalEndPoint}");
byte[] buffer = new byte[65536];
long failed = 0;
long lastReport = long.MinValue;
int answered = 0;
while (answered < count)
{
    ReceivedDatagram request;
    try
    {
        request = socket.Receive(buffer);
    }
    catch (Exception) when (stop.IsCancellationRequested)
    {
        break; // SIGTERM/SIGINT closed the socket under the receive
    }

    if (!request.CanReply)
    {
        continue; // destination unknown (MSG_CTRUNC): never guess a source
    }

    try
    {
        socket.Reply(request, buffer.AsSpan(0, request.Length));
        answered++;
    }
    catch (SocketException e)
    {
        // Count it, say so at most once a second, and go on serving.
        failed++;
        if (Environment.TickCount64 - lastReport >= 1000)
        {
            lastReport = Environment.TickCount64;
            Console.Error.WriteLine($"AotEcho: the reply to {request.RemoteEndPoint} failed: {e.Message} ({failed} failed so far)");
        }
    }
}

Console.Error.WriteLine($"AotEcho: {socket.Statistics.Received} received, {answered} answered, {failed} replies failed.");
return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
    socket.Dispose();
}
