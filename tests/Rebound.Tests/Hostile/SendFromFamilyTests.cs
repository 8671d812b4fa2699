using System.Net;
using System.Net.Sockets;
using Rebound.Interop;
using Rebound.Tests.Support;

namespace Rebound.Tests.Hostile;

/// <summary>Issue 11 item 10: a source the kernel would ignore is refused, instead of sending from an address nobody chose.</summary>
public sealed class SendFromFamilyTests
{
    [Fact]
    public void An_IPv6_source_on_an_IPv4_socket_throws_where_the_raw_send_leaves_from_another_address()
    {
        using ReboundSocket socket = ReboundSocket.Bind("0.0.0.0:0");
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        var destination = (IPEndPoint)receiver.LocalEndPoint!;

        // What SendFrom used to do: the IPV6_PKTINFO cmsg is ignored on an AF_INET socket and the kernel picks the source.
        Errno errno = LinuxDatagramIO.TrySend(
            socket.Socket.SafeHandle, LinuxConstants.AF_INET, "x"u8, UdpEndPoint.FromIPEndPoint(destination),
            UdpEndPoint.Parse("[2001:db8::5]:0"), 0);
        Assert.Equal(Errno.None, errno);
        Loopback.WaitReadable(receiver);
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        receiver.ReceiveFrom(new byte[16], ref from);
        Assert.NotEqual(IPAddress.Parse("2001:db8::5"), ((IPEndPoint)from).Address);

        Assert.Throws<ArgumentException>(() => socket.SendFrom(IPAddress.Parse("2001:db8::5"), destination, "x"u8));
        Assert.Throws<ArgumentException>(() => socket.SendFrom(IPAddress.Parse("127.0.0.1"), new IPEndPoint(IPAddress.IPv6Loopback, 9), "x"u8));
        Assert.Equal(0, socket.Statistics.Sent);
    }

    [Fact]
    public void Mixed_families_throw_on_a_dual_stack_socket_and_IPv4_throws_on_an_IPv6_only_socket()
    {
        using ReboundSocket dual = ReboundSocket.Bind("[::]:0");
        using ReboundSocket v6Only = ReboundSocket.Bind("[::]:0", new ReboundSocketOptions { DualStack = false });
        var v4Destination = new IPEndPoint(IPAddress.Loopback, 9);
        Assert.Throws<ArgumentException>(() => dual.SendFrom(IPAddress.IPv6Loopback, v4Destination, "x"u8));
        Assert.Throws<ArgumentException>(() => dual.SendFrom(IPAddress.Loopback, new IPEndPoint(IPAddress.IPv6Loopback, 9), "x"u8));
        Assert.Throws<ArgumentException>(() => v6Only.SendFrom(IPAddress.Loopback, v4Destination, "x"u8));
        Assert.Equal(0, dual.Statistics.Sent + v6Only.Statistics.Sent);
    }

    [Fact]
    public void Matching_or_unspecified_sources_still_send_from_the_chosen_address()
    {
        using ReboundSocket dual = ReboundSocket.Bind("[::]:0");
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var destination = (IPEndPoint)receiver.LocalEndPoint!;

        dual.SendFrom(IPAddress.Parse("127.0.0.3"), destination, "a"u8);
        dual.SendFrom(IPAddress.IPv6Any, destination, "b"u8);

        var sources = new List<IPAddress>();
        for (int i = 0; i < 2; i++)
        {
            Loopback.WaitReadable(receiver);
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            receiver.ReceiveFrom(new byte[16], ref from);
            sources.Add(((IPEndPoint)from).Address);
        }

        Assert.Equal(IPAddress.Parse("127.0.0.3"), sources[0]);
        Assert.Equal(IPAddress.Loopback, sources[1]);
    }
}
