using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Rebound;

namespace Rebound.Benchmarks;

/// <summary>
/// One 64-byte request in and its reply out on loopback, per operation, through three server paths: plain
/// recvfrom/sendto (the wrong-source baseline), Rebound's single recvmsg/sendmsg, and Rebound's recvmmsg/sendmmsg batch.
/// Each operation also includes the client's send and receive (identical in all three), so compare ratios and
/// allocations; the cross-process CPU cost per datagram is measured by <c>rebound bench</c>.
/// </summary>
[MemoryDiagnoser]
public class ReceiveReplyBenchmarks
{
    private const int BatchSize = 32;

    private readonly byte[] _request = new byte[64];
    private readonly byte[] _reply = new byte[2048];
    private readonly byte[] _buffer = new byte[2048];
    private Socket _naiveServer = null!;
    private SocketAddress _naiveSender = null!;
    private Socket _naiveClient = null!;
    private ReboundSocket _server = null!;
    private Socket _client = null!;
    private DatagramBatch _batch = null!;

    [GlobalSetup]
    public void Setup()
    {
        _naiveServer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _naiveServer.Bind(new IPEndPoint(IPAddress.Any, 0));
        _naiveSender = new SocketAddress(AddressFamily.InterNetwork);
        _naiveClient = Client(((IPEndPoint)_naiveServer.LocalEndPoint!).Port);

        _server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        _client = Client(_server.LocalEndPoint.Port);
        _batch = new DatagramBatch(BatchSize, 2048);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _naiveServer.Dispose();
        _naiveClient.Dispose();
        _server.Dispose();
        _client.Dispose();
        _batch.Dispose();
    }

    [Benchmark(Baseline = true, Description = "naive recvfrom/sendto (wrong source)")]
    public int Naive()
    {
        _naiveClient.Send(_request);
        int length = _naiveServer.ReceiveFrom(_buffer, SocketFlags.None, _naiveSender);
        _naiveServer.SendTo(_buffer.AsSpan(0, length), SocketFlags.None, _naiveSender);
        return _naiveClient.Receive(_reply);
    }

    [Benchmark(Description = "Rebound Receive/Reply (recvmsg/sendmsg)")]
    public int OneAtATime()
    {
        _client.Send(_request);
        ReceivedDatagram request = _server.Receive(_buffer);
        _server.Reply(request, _buffer.AsSpan(0, request.Length));
        return _client.Receive(_reply);
    }

    [Benchmark(OperationsPerInvoke = BatchSize, Description = "Rebound ReceiveBatch/ReplyBatch (recvmmsg/sendmmsg, 32)")]
    public int Batch()
    {
        for (int i = 0; i < BatchSize; i++)
        {
            _client.Send(_request);
        }

        int received = 0;
        while (received < BatchSize)
        {
            received += _server.ReceiveBatch(_batch);
            for (int i = 0; i < _batch.Count; i++)
            {
                _batch.SetReply(i, _batch.Payload(i));
            }

            _server.ReplyBatch(_batch);
        }

        int bytes = 0;
        for (int i = 0; i < BatchSize; i++)
        {
            bytes += _client.Receive(_reply);
        }

        return bytes;
    }

    private static Socket Client(int port)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return client;
    }
}
