using System.CommandLine;
using System.Net;
using DnsResponder.Dns;
using Rebound;

namespace DnsResponder;

/// <summary>
/// The command line: load a hosts file into a zone, bind, and serve until Ctrl-C. Exit codes follow the rebound CLI:
/// 0 done, 2 bad arguments or input file, 3 network error (address in use or not local), 4 permission denied.
/// </summary>
internal static class ResponderCommand
{
    public const int Success = 0;
    public const int Usage = 2;
    public const int Network = 3;
    public const int Permission = 4;

    public static RootCommand Create(TextWriter output, TextWriter error)
    {
        var listen = new Option<string>("--listen", "-l")
        {
            Description = "Address and port to bind: [::]:PORT is dual-stack, 0.0.0.0:PORT IPv4 only.",
            DefaultValueFactory = _ => "[::]:53",
        };
        var zoneOption = new Option<string>("--zone", "-z") { Description = "The zone to answer for, e.g. example.test.", Required = true };
        var hosts = new Option<FileInfo>("--hosts", "-f")
        {
            Description = "Hosts-style file: ADDRESS NAME [NAME…] per line, IPv4 or IPv6, # comments.",
            Required = true,
        };
        var naive = new Option<bool>("--naive") { Description = "Reply with a plain sendto() (the kernel picks the source address): reproduces the bug, for tests." };
        var threads = new Option<int>("--threads", "-t")
        {
            Description = "Serving threads, each with its own socket (SO_REUSEPORT) and batched recvmmsg/sendmmsg (ReboundServer). " +
                "0: one thread with a plain ReboundSocket Receive/Reply loop.",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };

        var join = new Option<string[]>("--join")
        {
            Description = "Join a multicast group, GROUP or GROUP%INTERFACE (233.252.0.1%eth0, ff12::db8:1%eth0), on every socket; " +
                "repeatable. Each query to it is answered once, from the arrival interface's address.",
        };

        var root = new RootCommand(
            "A small authoritative DNS responder on Rebound: answers A/AAAA for one zone from a hosts file, and every reply " +
            "leaves from the address its query was sent to.\n\n" +
            "Example: dns-responder --listen [::]:5353 --zone example.test --hosts hosts.txt\n" +
            "Exit codes: 0 success, 2 usage error or bad hosts file, 3 network error, 4 permission denied.")
        {
            listen, zoneOption, hosts, naive, threads, join,
        };
        root.SetAction(async (parse, cancellation) =>
        {
            if (!IPEndPoint.TryParse(parse.GetValue(listen)!, out IPEndPoint? endPoint))
            {
                error.WriteLine($"dns-responder: --listen: '{parse.GetValue(listen)}' is not ADDR:PORT; write [::]:53, 0.0.0.0:53 or [2001:db8::1]:53.");
                return Usage;
            }

            if (!DnsName.TryNormalize(parse.GetValue(zoneOption)!, out string apex, out string zoneError))
            {
                error.WriteLine($"dns-responder: --zone: {zoneError}");
                return Usage;
            }

            Zone? zone = LoadZone(parse.GetValue(hosts)!, apex, error);
            if (zone is null)
            {
                return Usage;
            }

            error.WriteLine($"dns-responder: authoritative for {zone.Apex}, {zone.NameCount} names with addresses.");
            int threadCount = parse.GetValue(threads);
            if (threadCount is < 0 or > 1024)
            {
                error.WriteLine($"dns-responder: --threads: {threadCount} is not between 0 and 1024.");
                return Usage;
            }

            ServeMode mode = parse.GetValue(naive) ? ServeMode.Naive : threadCount == 0 ? ServeMode.SingleSocket : ServeMode.Batched;
            var groups = new List<MulticastGroup>();
            foreach (string text in parse.GetValue(join) ?? [])
            {
                try
                {
                    groups.Add(MulticastGroup.Parse(text));
                }
                catch (FormatException e)
                {
                    error.WriteLine($"dns-responder: --join {text}: {e.Message}");
                    return Usage;
                }
            }

            if (mode == ServeMode.Naive && groups.Count > 0)
            {
                error.WriteLine("dns-responder: --naive does not join groups; drop --join.");
                return Usage;
            }

            return await ResponderHost.RunAsync(new AuthoritativeResponder(zone), endPoint, mode, threadCount, output, error, cancellation, groups).ConfigureAwait(false);
        });
        return root;
    }

    /// <summary>Reads the hosts file into a zone; prints every bad line and returns null if there is one.</summary>
    public static Zone? LoadZone(FileInfo file, string apex, TextWriter error)
    {
        string text;
        try
        {
            text = File.ReadAllText(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"dns-responder: --hosts: cannot read {file.FullName}: {e.Message}");
            return null;
        }

        (List<HostsEntry> entries, List<string> errors) = HostsFile.Parse(text);
        foreach (string message in errors)
        {
            error.WriteLine($"dns-responder: {file.Name}: {message}");
        }

        if (errors.Count > 0)
        {
            return null;
        }

        var zone = Zone.Create(apex, entries);
        if (zone.NamesOutside.Count > 0)
        {
            error.WriteLine($"dns-responder: ignoring {zone.NamesOutside.Count} name(s) outside {apex}: {string.Join(", ", zone.NamesOutside.Take(5))}");
        }

        return zone;
    }
}
