namespace Rebound.Shield.Tests.Support;

/// <summary>
/// Small UDP servers in Python — programs that are not Rebound's — started in a cgroup. Each binds port 0, prints the
/// port it got, and echoes every datagram to its sender with a plain sendto (unless the kind says otherwise).
/// </summary>
public static class PythonServers
{
    private const string Script = """
        import socket, struct, sys
        kind = sys.argv[1]
        if kind == "naive4":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 0))
        elif kind == "naive6":
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); s.bind(("::", 0))
        elif kind == "pktinfo":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 0))
        elif kind == "late":
            # Reads the first datagram, then argv[2] more, and only then answers the first sender.
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 0))
        elif kind == "connected":
            # Sends one datagram to argv[2]:argv[3] from a connected socket, then echoes replies on it.
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect((sys.argv[2], int(sys.argv[3])))
            s.send(b"from connected"); print(s.getsockname()[1], flush=True); s.recv(2048); sys.exit(0)
        elif kind == "tcp":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 0)); s.listen(4)
        print(s.getsockname()[1], flush=True)
        while True:
            if kind == "tcp":
                c, a = s.accept(); c.sendall(c.recv(2048)); c.close(); continue
            data, peer = s.recvfrom(2048)
            if kind == "late":
                for _ in range(int(sys.argv[2])):
                    s.recvfrom(2048)
                s.sendto(data, peer); continue
            if kind == "pktinfo":
                # An application that picks its own source: always 127.0.0.3, whatever was asked.
                pktinfo = struct.pack("@i4s4s", 0, socket.inet_aton("127.0.0.3"), bytes(4))
                s.sendmsg([data], [(socket.IPPROTO_IP, 8, pktinfo)], 0, peer)
            else:
                s.sendto(data, peer)
        """;

    /// <summary>Starts a server of <paramref name="kind"/> (naive4, naive6, pktinfo, late N, connected HOST PORT, tcp) in the cgroup; returns it and its port.</summary>
    public static (CgroupProcess Process, int Port) Start(string cgroupPath, string kind, params string[] arguments)
    {
        var process = CgroupProcess.Start(cgroupPath, "python3", ["-c", Script, kind, .. arguments]);
        try
        {
            return (process, int.Parse(process.ReadLine(), System.Globalization.CultureInfo.InvariantCulture));
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }
}
