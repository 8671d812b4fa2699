using System.CommandLine;
using System.Runtime.InteropServices;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Shield;
using Rebound.Shield;
using Rebound.Shield.Kernel;

namespace Rebound.Cli.Commands;

/// <summary>
/// <c>rebound shield attach|status|detach</c>: fixes the reply source of services you cannot change, in the kernel,
/// with cgroup BPF programs on the service's cgroup (docs/shield.md).
/// </summary>
internal static class ShieldCommand
{
    public static Command Create() => new Command("shield", "Fix the reply source of unmodified UDP services in the kernel (cgroup BPF), without a proxy.")
    {
        CreateAttach(), CreateStatus(), CreateDetach(),
    }.WithEpilogue(
        "Examples:\n  sudo rebound shield attach --unit named.service\n  sudo rebound shield attach --container web\n" +
        "  sudo rebound shield status --json\n  sudo rebound shield detach --all\n\n" +
        "Needs root, cgroup v2 and Linux 5.7+. How it works, limits and removal: docs/shield.md.\n\n" + ExitCodes.Help);

    private static Command CreateAttach()
    {
        var target = new ShieldTarget();
        var foreground = new Option<bool>("--foreground") { Description = "Keep the shield only while this command runs (Ctrl-C/SIGTERM detach it); publishes the Rebound.Shield meter." };
        var capacity = new Option<int>("--capacity") { Description = "Peers remembered before the oldest are evicted.", DefaultValueFactory = _ => CgroupShield.DefaultCapacity };
        var command = new Command("attach", "Attach the shield to one cgroup; pinned in /sys/fs/bpf/rebound so it outlives the command.") { foreground, capacity };
        target.Options.ToList().ForEach(command.Options.Add);
        command.WithEpilogue(
            "Examples:\n  sudo rebound shield attach --pid $(pidof named)\n  sudo rebound shield attach --cgroup system.slice/snmpd.service\n" +
            "  sudo rebound shield attach --all            # every process on the host\n" +
            "  sudo rebound shield attach --unit dnsmasq.service --foreground\n\n" + ExitCodes.Help);
        command.SetAction(parse =>
        {
            if (Precheck() is int failed)
            {
                return failed;
            }

            string? cgroup = target.Resolve(parse, out string error);
            if (cgroup is null)
            {
                return Fail("attach", error, ExitCodes.Usage);
            }

            int size = parse.GetValue(capacity);
            if (size is < 1 or > 16_777_216)
            {
                return Fail("attach", "--capacity must be between 1 and 16777216", ExitCodes.Usage);
            }

            return parse.GetValue(foreground) ? RunForeground(cgroup, size) : AttachPinned(cgroup, size);
        });
        return command;
    }

    private static Command CreateStatus()
    {
        var json = new Option<bool>("--json") { Description = "Write the status as JSON (for scripts)." };
        var command = new Command("status", "Show every pinned shield: its cgroup, map occupancy and counters.") { json };
        command.WithEpilogue("Examples:\n  sudo rebound shield status\n  sudo rebound shield status --json\n\n" + ExitCodes.Help);
        command.SetAction(parse =>
        {
            if (Precheck() is int failed)
            {
                return failed;
            }

            var shields = CgroupShield.OpenAllPinned();
            try
            {
                var statuses = shields.Select(ShieldStatus.Of).ToList();
                if (parse.GetValue(json))
                {
                    using Stream stdout = Console.OpenStandardOutput();
                    ShieldStatusWriter.WriteJson(statuses, stdout);
                }
                else
                {
                    ShieldStatusWriter.WriteTable(statuses, TableOutput.ForStandardOutput());
                }
            }
            finally
            {
                foreach (var shield in shields)
                {
                    shield.Dispose();
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateDetach()
    {
        var target = new ShieldTarget();
        target.All.Description = "Every shield on the host (including one attached with attach --all).";
        var command = new Command("detach", "Detach a pinned shield and remove its pins; nothing of it stays in the kernel.");
        target.Options.ToList().ForEach(command.Options.Add);
        command.WithEpilogue("Examples:\n  sudo rebound shield detach --unit named.service\n  sudo rebound shield detach --all\n\n" + ExitCodes.Help);
        command.SetAction(parse =>
        {
            if (Precheck() is int failed)
            {
                return failed;
            }

            if (parse.GetValue(target.All) && target.CountGiven(parse) == 1)
            {
                int count = CgroupShield.DetachAllPinned();
                Console.WriteLine(count == 0 ? "No shield was attached; nothing to detach." : $"Detached {count} shield{(count == 1 ? "" : "s")}; nothing is pinned under {CgroupShield.PinRoot}.");
                return ExitCodes.Success;
            }

            string? cgroup = target.Resolve(parse, out string error);
            if (cgroup is null)
            {
                return Fail("detach", error, ExitCodes.Usage);
            }

            using var shield = CgroupShield.OpenPinned(cgroup);
            if (shield is null)
            {
                Console.WriteLine($"No pinned shield on {cgroup}; nothing to detach (a --foreground shield goes away with its process).");
                return ExitCodes.Success;
            }

            shield.Detach();
            Console.WriteLine($"Detached the shield from {cgroup}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static int AttachPinned(string cgroup, int capacity)
    {
        if (AlreadyShielded(cgroup))
        {
            return ExitCodes.Success;
        }

        try
        {
            using var shield = CgroupShield.Attach(cgroup, capacity);
            shield.Pin();
            Console.WriteLine($"Shield attached to {cgroup} and pinned at {shield.PinDirectory}.");
            Console.WriteLine($"Replies of unconnected UDP sockets in it now leave from the address each peer asked. Remove with: rebound shield detach --cgroup {cgroup}");
            WarnIfRoot(cgroup);
            return ExitCodes.Success;
        }
        catch (BpfException e)
        {
            return Fail("attach", ShieldSupport.Explain(e), e.IsPermissionDenied ? ExitCodes.Permission : ExitCodes.Usage);
        }
    }

    private static int RunForeground(string cgroup, int capacity)
    {
        if (AlreadyShielded(cgroup))
        {
            return ExitCodes.Success;
        }

        CgroupShield shield;
        try
        {
            shield = CgroupShield.Attach(cgroup, capacity);
        }
        catch (BpfException e)
        {
            return Fail("attach", ShieldSupport.Explain(e), e.IsPermissionDenied ? ExitCodes.Permission : ExitCodes.Usage);
        }

        using var stop = new ManualResetEventSlim();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Set();
        }

        using (shield)
        using (ShieldMetrics.Create(shield))
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop))
        {
            Console.WriteLine($"Shield attached to {cgroup} until Ctrl-C or SIGTERM (meter {ShieldMetrics.MeterName}).");
            WarnIfRoot(cgroup);
            stop.Wait();
            var counters = shield.ReadCounters();
            shield.Detach();
            Console.WriteLine($"Shield detached from {cgroup}: {counters.Recorded} datagrams recorded, {counters.SourceSet} sources set, {counters.Missed} missed.");
        }

        return ExitCodes.Success;
    }

    /// <summary>Attaching twice is a no-op that says so.</summary>
    private static bool AlreadyShielded(string cgroup)
    {
        using var existing = CgroupShield.OpenPinned(cgroup);
        if (existing is not null)
        {
            Console.WriteLine($"{cgroup} is already shielded (pinned at {existing.PinDirectory}); nothing to do.");
        }

        return existing is not null;
    }

    private static void WarnIfRoot(string cgroup)
    {
        if (cgroup == Cgroups.UnifiedMount())
        {
            Console.Error.WriteLine("rebound shield: note: this is the root cgroup; every process on the host is shielded.");
        }
    }

    /// <summary>Exit 4 (permission) or 2 (cannot run here) with the exact missing piece; null when everything is there.</summary>
    private static int? Precheck()
    {
        if (ShieldSupport.Check() is not { } missing)
        {
            return null;
        }

        Console.Error.WriteLine($"rebound shield: {missing.Missing}.");
        return missing.IsPermission ? ExitCodes.Permission : ExitCodes.Usage;
    }

    private static int Fail(string verb, string message, int code)
    {
        Console.Error.WriteLine($"rebound shield {verb}: {message}.");
        return code;
    }
}
