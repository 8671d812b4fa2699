using System.Net;
using System.Net.Sockets;
using Rebound.Lab;

namespace Rebound.Cli.Doctor;

/// <summary>
/// One doctor run: inside the chosen network namespace, list the UDP sockets, pick the wildcard listeners (or the ports
/// asked for) and the local addresses, open one probe socket per listener and address there; then run every probe in
/// parallel, each bounded by the timeout.
/// </summary>
internal static class DoctorRun
{
    /// <exception cref="DoctorUsageException">The namespace cannot be entered or an address asked for is not local.</exception>
    /// <param name="options">What to inspect and how.</param>
    /// <param name="cancellation">Stops the run.</param>
    /// <param name="progress">Told what the run is doing (for a progress line); null: nobody asks.</param>
    public static async Task<DoctorReport> RunAsync(DoctorOptions options, CancellationToken cancellation, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Plan plan = InsideNamespace(options, () => Prepare(options));
        try
        {
            int done = 0;
            int total = plan.Probes.Count;
            progress?.Invoke($"rebound doctor: probing 0/{total}");
            using var slots = new SemaphoreSlim(DoctorOptions.Parallelism);
            ProbeResult[] results = await Task.WhenAll(plan.Probes.Select(async probe =>
            {
                if (probe.Probe is null)
                {
                    return probe.Failure!;
                }

                await slots.WaitAsync(cancellation).ConfigureAwait(false);
                try
                {
                    (byte[] payload, string protocol) = Payload(options, probe.Port);
                    return await probe.Probe.RunAsync(payload, protocol, options.Timeout, cancellation).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                    progress?.Invoke($"rebound doctor: probing {Interlocked.Increment(ref done)}/{total} (each waits up to {options.Timeout.TotalSeconds:0.###} s for its reply)");
                }
            })).ConfigureAwait(false);

            results = [.. results, .. await RetryPastNatAsync(options, plan, results, cancellation).ConfigureAwait(false)];
            if (options.FromClients)
            {
                progress?.Invoke("rebound doctor: asking from the clients' network namespaces");
                results = [.. await ClientProbing.RunAsync(options, plan.Targets, plan.Families, plan.Notes, cancellation).ConfigureAwait(false)];
            }

            var listeners = plan.Ports
                .Select(port => new ListenerReport(
                    port,
                    Payload(options, port).Protocol,
                    plan.Inventory.Where(e => e.Socket.Local.Port == port && e.Exposure != SocketExposure.Connected).ToList(),
                    results.Where(r => r.Port == port).ToList()))
                .ToList();
            if (listeners.Any(l => l.Verdict == ListenerVerdict.AtRisk))
            {
                plan.Notes.Add(FixAdvice);
            }

            return new DoctorReport(options.NamespaceLabel, plan.Inventory, plan.Targets, listeners, plan.Notes);
        }
        finally
        {
            foreach (PlannedProbe probe in plan.Probes)
            {
                probe.Probe?.Dispose();
            }
        }
    }

    /// <summary>
    /// A probe from 127.0.0.1 that NAT rewrote to another host cannot be sent (<see cref="ProbeVerdict.NotSent"/>).
    /// Docker's published ports do that (nat OUTPUT, --dst-type LOCAL, DNAT to the container) for every local address
    /// except 127.0.0.0/8, so the port is asked once more at 127.0.0.2, which reaches the listener itself — docker-proxy
    /// then answers from 127.0.0.1, proving it wrong.
    /// </summary>
    private static async Task<ProbeResult[]> RetryPastNatAsync(DoctorOptions options, Plan plan, ProbeResult[] results, CancellationToken cancellation)
    {
        int[] ports = [.. results.Where(r => r.Verdict == ProbeVerdict.NotSent && r.Target.Address.AddressFamily == AddressFamily.InterNetwork)
            .Select(r => r.Port).Distinct()
            .Where(port => !results.Any(r => r.Port == port && r.Target.Address.Equals(LocalAddress.SecondLoopback)))];
        var retried = new List<ProbeResult>();
        foreach (int port in ports)
        {
            using UdpProbe probe = InsideNamespace(options, () => UdpProbe.Open(new LocalAddress(LocalAddress.SecondLoopback, "lo"), port, IPAddress.Loopback));
            (byte[] payload, string protocol) = Payload(options, port);
            retried.Add(await probe.RunAsync(payload, protocol, options.Timeout, cancellation).ConfigureAwait(false));
            plan.Notes.Add($"port {port}: NAT rewrote the probes of other addresses, so it was also asked at 127.0.0.2, which NAT rules for published ports leave alone");
        }

        return [.. retried];
    }

    /// <summary>The probe's payload and protocol name for <paramref name="port"/>.</summary>
    internal static (byte[] Payload, string Protocol) Payload(DoctorOptions options, int port) =>
        options.Payload is { } custom ? (custom, "custom") : ProbePayloads.For(port);

    private static T InsideNamespace<T>(DoctorOptions options, Func<T> action)
    {
        if (options.NamespacePath is null)
        {
            return action();
        }

        try
        {
            return NetworkNamespace.RunInside(options.NamespacePath, options.NamespaceLabel, action);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            string hint = Privileges.IsRoot ? "" : " (entering another network namespace needs root)";
            throw new DoctorUsageException($"cannot enter {options.NamespaceLabel}: {e.Message.TrimEnd('.')}{hint}", e);
        }
    }

    private static Plan Prepare(DoctorOptions options)
    {
        List<InventoryEntry> inventory = UdpInventory.Read();
        List<LocalAddress> all = LocalAddress.ReadAll();
        var notes = new List<string>();
        List<LocalAddress> targets = ChooseTargets(options, all, notes);
        if (options.Family is AddressFamily family)
        {
            targets = [.. targets.Where(t => t.Address.AddressFamily == family)];
        }

        // Port → which families reach it: 0.0.0.0 hears IPv4; :: hears IPv6, and IPv4 too unless V6ONLY (which /proc
        // does not show: an IPv6-only socket is refused over IPv4).
        var families = new SortedDictionary<int, HashSet<AddressFamily>>();
        if (options.Ports.Count > 0)
        {
            foreach (int port in options.Ports)
            {
                families[port] = [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6];
            }
        }
        else
        {
            foreach (InventoryEntry entry in inventory.Where(e => e.Exposure == SocketExposure.Wildcard))
            {
                int port = entry.Socket.Local.Port;
                if (!families.TryGetValue(port, out HashSet<AddressFamily>? set))
                {
                    families[port] = set = [];
                }

                set.Add(AddressFamily.InterNetwork);
                if (entry.Socket.Local.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    set.Add(AddressFamily.InterNetworkV6);
                }
            }
        }

        var probes = new List<PlannedProbe>();
        var unaskable = new HashSet<LocalAddress>();
        if (options.Probe && !options.FromClients)
        {
            try
            {
                foreach ((int port, HashSet<AddressFamily> reach) in families)
                {
                    foreach (LocalAddress target in targets.Where(t => reach.Contains(t.Address.AddressFamily)))
                    {
                        if (probes.Count == DoctorOptions.MaxProbes)
                        {
                            notes.Add($"stopped at {DoctorOptions.MaxProbes} probes: the ports and addresses past that were not probed; use --port and --address to choose");
                            return new Plan(inventory, targets, [.. families.Keys], probes, notes, families);
                        }

                        if (LocalAddress.ProbeSource(target.Address, all) is { } source)
                        {
                            probes.Add(Open(options, target, port, source));
                        }
                        else if (unaskable.Add(target))
                        {
                            notes.Add($"{target.Address} on {target.Interface} was not probed: a link-local address is asked from another link-local address of its link, and {target.Interface} has no other");
                        }
                    }
                }
            }
            catch
            {
                probes.ForEach(p => p.Probe?.Dispose());
                throw;
            }
        }

        if (options.Probe && !targets.Any(t => t.Address.AddressFamily == AddressFamily.InterNetworkV6) && options.Addresses.Count == 0
            && options.Family != AddressFamily.InterNetwork)
        {
            notes.Add("no IPv6 address besides ::1, so IPv6 was not probed");
        }

        notes.Add("a wildcard socket that already uses IP_PKTINFO looks the same in /proc; only the probe tells them apart");
        return new Plan(inventory, targets, options.Probe ? [.. families.Keys] : [], probes, notes, families);
    }

    /// <summary>What to do about an AT RISK port, on this host and on the other OSes the same server may run on.</summary>
    internal const string FixAdvice =
        "fix: reply from the address asked — on Linux read it with IP_PKTINFO/IPV6_PKTINFO (Rebound's ReboundSocket); " +
        "where pktinfo is unavailable (macOS, Windows, BSD deployments) bind one socket per local address (Rebound's " +
        "per-address strategy, chosen automatically there; `rebound echo --per-address` shows it here); for a server you " +
        "cannot change, `rebound proxy` in front of it";

    private static List<LocalAddress> ChooseTargets(DoctorOptions options, List<LocalAddress> all, List<string> notes)
    {
        if (options.Addresses.Count == 0)
        {
            List<LocalAddress> targets = LocalAddress.ProbeTargets(all);
            if (targets.Any(t => t.Address.Equals(LocalAddress.SecondLoopback)))
            {
                notes.Add("no IPv4 address besides loopback: probed 127.0.0.2 from 127.0.0.1");
            }

            return targets;
        }

        var chosen = new List<LocalAddress>();
        foreach (AddressChoice choice in options.Addresses)
        {
            IPAddress address = choice.Address;
            if (address.Equals(IPAddress.Loopback) || address.Equals(IPAddress.IPv6Loopback))
            {
                throw new DoctorUsageException($"--address {choice}: loopback is where probes are sent from; pick another local address (127.0.0.2 works)");
            }

            // A link-local address without a scope means every link that has it.
            List<LocalAddress> matches = [.. all.Where(choice.Matches).DistinctBy(a => (a.Address, a.Interface))];
            if (matches.Count == 0 && choice.Scope is null && address.AddressFamily == AddressFamily.InterNetwork && IPAddress.IsLoopback(address))
            {
                matches.Add(new LocalAddress(address, "lo"));
            }

            if (matches.Count == 0)
            {
                string where = choice.Scope is null ? options.NamespaceLabel : $"an interface '{choice.Scope}' of {options.NamespaceLabel}";
                throw new DoctorUsageException($"--address {choice}: not an address of {where}; doctor only probes local addresses");
            }

            chosen.AddRange(address.IsIPv6LinkLocal ? matches : matches.Take(1));
        }

        return chosen;
    }

    private static PlannedProbe Open(DoctorOptions options, LocalAddress target, int port, IPAddress source)
    {
        try
        {
            return new PlannedProbe(port, UdpProbe.Open(target, port, source), null);
        }
        catch (SocketException e)
        {
            // E.g. a tentative IPv6 source address: report it, keep probing the rest.
            return new PlannedProbe(port, null, new ProbeResult(
                port, Payload(options, port).Protocol, target, source, ProbeVerdict.Error, null, $"cannot send from {source}: {e.Message}"));
        }
    }

    /// <summary>A probe ready to run, or the reason it could not even be opened.</summary>
    private sealed record PlannedProbe(int Port, UdpProbe? Probe, ProbeResult? Failure);

    private sealed record Plan(
        List<InventoryEntry> Inventory, List<LocalAddress> Targets, List<int> Ports, List<PlannedProbe> Probes, List<string> Notes,
        SortedDictionary<int, HashSet<AddressFamily>> Families);
}
