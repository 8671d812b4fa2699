using System.Net;
using System.Net.Sockets;
using Rebound.Lab;

namespace Rebound.Cli.Doctor;

/// <summary>
/// <c>doctor --from-netns / --from-pid / --from-containers</c>: the failing path as it really runs. For each client
/// namespace, each address of the inspected namespace that a client can reach (not loopback, not link-local) and each
/// port, a <see cref="ClientProbe"/> is opened inside the client's namespace and asks with a connected socket; the
/// answers say per (client, server address, port): OK, WRONG SOURCE (with the source seen), REFUSED or NO REPLY.
/// </summary>
internal static class ClientProbing
{
    public static async Task<List<ProbeResult>> RunAsync(
        DoctorOptions options, IReadOnlyList<LocalAddress> targets, IReadOnlyDictionary<int, HashSet<AddressFamily>> families,
        List<string> notes, CancellationToken cancellation)
    {
        List<ClientNamespace> clients = Resolve(options);
        if (clients.Count == 0)
        {
            notes.Add($"no other network namespace is joined to {options.NamespaceLabel} by a veth pair: there was no container to probe from");
        }

        List<LocalAddress> servers = [.. targets.Where(t => !IPAddress.IsLoopback(t.Address) && !t.Address.IsIPv6LinkLocal)];
        var results = new List<ProbeResult>();
        var probes = new List<ClientProbe>();
        try
        {
            foreach (ClientNamespace client in clients)
            {
                Enter(client, () => Open(client, servers, families, probes, results, options));
            }

            using var slots = new SemaphoreSlim(DoctorOptions.Parallelism);
            ProbeResult[] answers = await Task.WhenAll(probes.Select(async probe =>
            {
                await slots.WaitAsync(cancellation).ConfigureAwait(false);
                try
                {
                    (byte[] payload, string protocol) = DoctorRun.Payload(options, probe.Port);
                    return await probe.RunAsync(payload, protocol, options.Timeout, cancellation).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                }
            })).ConfigureAwait(false);
            results.AddRange(answers);
        }
        finally
        {
            probes.ForEach(p => p.Dispose());
        }

        notes.Add("probed from clients' namespaces with connected sockets, as their clients ask; a WRONG SOURCE reply is one those clients drop");
        return results;
    }

    private static int Open(
        ClientNamespace client, List<LocalAddress> servers, IReadOnlyDictionary<int, HashSet<AddressFamily>> families,
        List<ClientProbe> probes, List<ProbeResult> results, DoctorOptions options)
    {
        foreach ((int port, HashSet<AddressFamily> reach) in families)
        {
            foreach (LocalAddress server in servers.Where(s => reach.Contains(s.Address.AddressFamily)))
            {
                if (probes.Count + results.Count >= DoctorOptions.MaxProbes)
                {
                    return 0;
                }

                try
                {
                    probes.Add(ClientProbe.Open(server, port, client.Label));
                }
                catch (SocketException e)
                {
                    IPAddress none = server.Address.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
                    results.Add(new ProbeResult(port, DoctorRun.Payload(options, port).Protocol, server, none, ProbeVerdict.Error, null,
                        $"cannot ask from {client.Label}: {e.Message}", client.Label));
                }
            }
        }

        return 0;
    }

    private static List<ClientNamespace> Resolve(DoctorOptions options)
    {
        if (options.FromNetns is { } name)
        {
            return File.Exists($"/run/netns/{name}") && !name.Contains('/', StringComparison.Ordinal)
                ? [ClientNamespace.FromNetns(name)]
                : throw new DoctorUsageException($"--from-netns: no network namespace named '{name}' (see `ip netns list`)");
        }

        if (options.FromPid is int pid)
        {
            return pid > 0 && Directory.Exists($"/proc/{pid}")
                ? [ClientNamespace.FromPid(pid)]
                : throw new DoctorUsageException($"--from-pid: no process {pid}");
        }

        try
        {
            return ClientNamespace.Containers(options.NamespacePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new DoctorUsageException($"--from-containers: {e.Message.TrimEnd('.')} (looking into other namespaces needs root)", e);
        }
    }

    private static void Enter(ClientNamespace client, Func<int> action)
    {
        try
        {
            NetworkNamespace.RunInside(client.Path, client.Label, action);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            string hint = Privileges.IsRoot ? "" : " (entering another network namespace needs root)";
            throw new DoctorUsageException($"cannot enter {client.Label}: {e.Message.TrimEnd('.')}{hint}", e);
        }
    }
}
