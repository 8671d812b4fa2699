using System.CommandLine;
using System.Net;
using Rebound.Cli.Doctor;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Output;
using Spectre.Console;

namespace Rebound.Cli.Commands;

/// <summary>
/// <c>rebound doctor</c>: lists this host's UDP sockets, then proves, by probing each wildcard listener at every local
/// address, which ones reply from the wrong address.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var ports = new Option<int[]>("--port", "-p") { Description = "Probe this port (repeatable) instead of every wildcard listener found.", AllowMultipleArgumentsPerToken = true };
        var addresses = new Option<string[]>("--address", "-a") { HelpName = "ADDR", Description = "Probe only this local address (repeatable; fe80::1%eth0 names the link); default: every address of the host.", AllowMultipleArgumentsPerToken = true };
        var netns = new Option<string?>("--netns") { HelpName = "NAME", Description = "Inspect the named network namespace (/run/netns/NAME) instead of this one." };
        var pid = new Option<int?>("--pid") { Description = "Inspect the network namespace of this process (a container's), via /proc/PID/ns/net." };
        var payload = new Option<string?>("--payload") { HelpName = "HEX", Description = "Send these bytes (hex) instead of the built-in request for the port." };
        var payloadFile = new Option<FileInfo?>("--payload-file") { Description = "Send this file's bytes instead of the built-in request for the port." };
        var timeout = SharedOptions.Timeout("How long to wait for each probe's reply (0.001-10)", 1);
        var json = new Option<bool>("--json") { Description = "Write the report as JSON (for scripts)." };
        var noProbe = new Option<bool>("--no-probe") { Description = "Only list the sockets; send nothing." };
        var fromNetns = new Option<string?>("--from-netns") { HelpName = "NAME", Description = "Probe from this named network namespace, with connected sockets, as its clients ask." };
        var fromPid = new Option<int?>("--from-pid") { Description = "Probe from the network namespace of this process (a container's client)." };
        var fromContainers = new Option<bool>("--from-containers") { Description = "Probe from every container namespace joined to this one by a veth pair." };
        var ipv4 = SharedOptions.IPv4("probe only the IPv4 addresses");
        var ipv6 = SharedOptions.IPv6("probe only the IPv6 addresses");

        var command = new Command("doctor", "Find UDP services on this host that reply from the wrong source address, and prove it by probing.")
        {
            ports, addresses, netns, pid, payload, payloadFile, timeout, json, noProbe, fromNetns, fromPid, fromContainers, ipv4, ipv6,
        }.WithEpilogue(
            "Every wildcard listener (0.0.0.0 / ::) is asked a question at each local address, from another local address\n" +
            "(127.0.0.1; for IPv6 another address of the host, or ::1). A reply from any other address than the one asked\n" +
            "is what connected clients drop. --from-netns/--from-pid/--from-containers ask from the clients' namespaces\n" +
            "instead, with connected sockets, and report per client, address and port.\n" +
            "Built-in requests: DNS (53), mDNS (5353), NTP (123), SNMP public (161), STUN (3478); a text line elsewhere.\n\n" +
            "Examples:\n  rebound doctor\n  rebound doctor --port 53 --json\n  sudo rebound doctor --pid $(docker inspect -f '{{.State.Pid}}' web)\n" +
            "  rebound doctor -p 9999 --payload 68656c6c6f -w 2\n  rebound doctor -4 -p 53             # IPv4 addresses only\n  sudo rebound doctor --from-containers -p 53\n\n" + ExitCodes.Help +
            "\nDoctor exits 1 only when a wrong-source reply is proven; no reply is inconclusive, never OK.");
        command.SetAction(async (parse, cancellation) =>
        {
            DoctorOptions? options = BuildOptions(parse, ports, addresses, netns, pid, payload, payloadFile, timeout, noProbe, out string error);
            if (options is not null)
            {
                string? from = parse.GetValue(fromNetns);
                int? fromProcess = parse.GetValue(fromPid);
                bool containers = parse.GetValue(fromContainers);
                if ((from is not null ? 1 : 0) + (fromProcess is not null ? 1 : 0) + (containers ? 1 : 0) > 1)
                {
                    (options, error) = (null, "use one of --from-netns, --from-pid and --from-containers.");
                }
                else if (!SharedOptions.TryFamily(parse, ipv4, ipv6, out System.Net.Sockets.AddressFamily? family, out error)
                    || options.Addresses.Any(a => !SharedOptions.FamilyMatches(a.Address, family, "--address", out error)))
                {
                    options = null;
                }
                else
                {
                    options = options with { FromNetns = from, FromPid = fromProcess, FromContainers = containers, Family = family };
                }
            }

            if (options is null)
            {
                await Console.Error.WriteLineAsync($"rebound doctor: {error}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            DoctorReport report;
            try
            {
                // On a terminal, a line on stderr says what a run longer than a second is doing; erased before the report.
                using ProgressLine progress = ProgressLine.OnStandardError("rebound doctor: listing sockets");
                report = await DoctorRun.RunAsync(options, cancellation, progress.Report).ConfigureAwait(false);
            }
            catch (DoctorUsageException e)
            {
                await Console.Error.WriteLineAsync($"rebound doctor: {e.Message}.").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            if (parse.GetValue(json))
            {
                using Stream stdout = Console.OpenStandardOutput();
                JsonOutput.WriteLine(stdout, DoctorDocument.From(report));
            }
            else
            {
                // A terminal: tables fit it; COLUMNS: that width; piped: plain ss-style columns (docs/output.md).
                DoctorTableWriter.Write(report, TableOutput.ForStandardOutput());
            }

            return report.WrongSourceProven ? ExitCodes.Finding : ExitCodes.Success;
        });
        return command;
    }

    private static DoctorOptions? BuildOptions(
        ParseResult parse, Option<int[]> ports, Option<string[]> addresses, Option<string?> netns, Option<int?> pid,
        Option<string?> payload, Option<FileInfo?> payloadFile, Option<double> timeout, Option<bool> noProbe, out string error)
    {
        error = "";
        string? name = parse.GetValue(netns);
        int? processId = parse.GetValue(pid);
        string? path = null;
        string label = "this network namespace";
        if (name is not null && processId is not null)
        {
            error = "use either --netns or --pid, not both.";
            return null;
        }

        if (name is not null)
        {
            if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || !File.Exists($"/run/netns/{name}"))
            {
                error = $"--netns: no network namespace named '{name}' (see `ip netns list`).";
                return null;
            }

            (path, label) = ($"/run/netns/{name}", $"network namespace {name}");
        }
        else if (processId is int id)
        {
            if (id <= 0 || !Directory.Exists($"/proc/{id}"))
            {
                error = $"--pid: no process {id}.";
                return null;
            }

            (path, label) = ($"/proc/{id}/ns/net", $"the network namespace of process {id}");
        }

        int[] portList = parse.GetValue(ports) ?? [];
        int[] invalid = portList.Where(p => p is < 1 or > 65535).ToArray();
        if (invalid.Length > 0)
        {
            error = $"--port: {invalid[0]} is not a port number (1-65535).";
            return null;
        }

        var addressList = new List<AddressChoice>();
        foreach (string text in parse.GetValue(addresses) ?? [])
        {
            if (!AddressChoice.TryParse(text, out AddressChoice choice))
            {
                error = $"--address: '{text}' is not an IP address (an IPv6 address may name its link: fe80::1%eth0).";
                return null;
            }

            addressList.Add(choice);
        }

        byte[]? bytes = null;
        string? hex = parse.GetValue(payload);
        FileInfo? file = parse.GetValue(payloadFile);
        if (hex is not null && file is not null)
        {
            error = "use either --payload or --payload-file, not both.";
            return null;
        }

        if (hex is not null && !ProbePayloads.TryParseHex(hex, out bytes))
        {
            error = $"--payload: '{hex}' is not hex bytes (e.g. 68656c6c6f).";
            return null;
        }

        if (file is not null)
        {
            try
            {
                bytes = File.ReadAllBytes(file.FullName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = $"--payload-file: {e.Message}";
                return null;
            }

            if (bytes.Length is 0 or > 65507)
            {
                error = $"--payload-file: {file.FullName} holds {bytes.Length} bytes; a UDP payload is 1-65507 bytes.";
                return null;
            }
        }

        double seconds = parse.GetValue(timeout);
        if (!(seconds is >= 0.001 and <= 10))
        {
            error = $"--timeout: {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} s is out of range (0.001-10 seconds).";
            return null;
        }

        return new DoctorOptions(path, label, portList.Distinct().ToList(), addressList, bytes, TimeSpan.FromSeconds(seconds), !parse.GetValue(noProbe));
    }
}
