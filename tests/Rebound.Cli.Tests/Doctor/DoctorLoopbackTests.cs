using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Rebound.Cli.Doctor;
using Rebound.Cli.Tests.Support;
using Rebound.Cli.Lab;
using Rebound.Cli.Tests.Output;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Doctor;

/// <summary>
/// Doctor against real servers on loopback, no privileges needed: the probe goes from 127.0.0.1 to 127.0.0.2 (local
/// on every Linux host), so a naive wildcard server replies from 127.0.0.1 and a Rebound one from 127.0.0.2.
/// </summary>
public sealed class DoctorLoopbackTests
{
    private static readonly IPAddress Second = IPAddress.Parse("127.0.0.2");

    private static DoctorOptions Options(params int[] ports) =>
        new(null, "test", ports, [new AddressChoice(Second, null)], null, TimeSpan.FromSeconds(1));

    [Fact]
    public async Task Rebound_server_is_ok_and_naive_server_is_proven_wrong_source()
    {
        using LabServer rebound = LabServer.Start(ServerKind.Rebound, new IPEndPoint(IPAddress.IPv6Any, 0));
        using LabServer naive = LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.Any, 0));
        int good = rebound.LocalEndPoint.Port, bad = naive.LocalEndPoint.Port;

        DoctorReport report = await DoctorRun.RunAsync(Options(good, bad), CancellationToken.None);

        ProbeResult ok = Assert.Single(report.Listeners.Single(l => l.Port == good).Probes);
        Assert.Equal(ProbeVerdict.Ok, ok.Verdict);
        Assert.Equal(new IPEndPoint(Second, good), ok.RepliedFrom);
        Assert.Equal(ListenerVerdict.Ok, report.Listeners.Single(l => l.Port == good).Verdict);

        ProbeResult wrong = Assert.Single(report.Listeners.Single(l => l.Port == bad).Probes);
        Assert.Equal(ProbeVerdict.WrongSource, wrong.Verdict);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, bad), wrong.RepliedFrom);
        Assert.True(report.WrongSourceProven);

        // The advice names the fix for Linux and for deployments without pktinfo.
        Assert.Contains(DoctorRun.FixAdvice, report.Notes);
        Assert.Contains("per-address strategy", DoctorRun.FixAdvice, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inventory_lists_both_servers_as_wildcard_sockets_of_this_process()
    {
        using LabServer rebound = LabServer.Start(ServerKind.Rebound, new IPEndPoint(IPAddress.IPv6Any, 0));
        using LabServer naive = LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.Any, 0));
        using var specific = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        specific.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        DoctorReport report = await DoctorRun.RunAsync(Options(rebound.LocalEndPoint.Port) with { Probe = false }, CancellationToken.None);

        InventoryEntry Find(IPEndPoint local) => Assert.Single(report.Inventory, e => e.Socket.Local.Equals(local));
        foreach (InventoryEntry entry in new[] { Find(rebound.LocalEndPoint), Find(naive.LocalEndPoint), Find((IPEndPoint)specific.LocalEndPoint!) })
        {
            SocketOwner owner = Assert.Single(entry.Owners);
            Assert.Equal(Environment.ProcessId, owner.Pid);
        }

        Assert.Equal(SocketExposure.Wildcard, Find(rebound.LocalEndPoint).Exposure);
        Assert.Equal(SocketExposure.Wildcard, Find(naive.LocalEndPoint).Exposure);
        Assert.Equal(SocketExposure.SpecificAddress, Find((IPEndPoint)specific.LocalEndPoint!).Exposure);
        Assert.Empty(report.Listeners);
    }

    [Fact]
    public async Task Silent_server_is_no_reply_never_ok_and_unused_port_is_refused()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Any, 0));
        int unused;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Any, 0));
            unused = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        int quiet = ((IPEndPoint)silent.LocalEndPoint!).Port;
        DoctorReport report = await DoctorRun.RunAsync(Options(quiet, unused) with { Timeout = TimeSpan.FromMilliseconds(300) }, CancellationToken.None);

        Assert.Equal(ProbeVerdict.NoReply, Assert.Single(report.Listeners.Single(l => l.Port == quiet).Probes).Verdict);
        Assert.Equal(ListenerVerdict.Inconclusive, report.Listeners.Single(l => l.Port == quiet).Verdict);
        Assert.Equal(ProbeVerdict.Refused, Assert.Single(report.Listeners.Single(l => l.Port == unused).Probes).Verdict);
        Assert.False(report.WrongSourceProven);
        Assert.DoesNotContain(DoctorRun.FixAdvice, report.Notes);
    }

    [Fact]
    public void Cli_exits_1_with_json_proof_for_naive_and_0_for_rebound()
    {
        using LabServer rebound = LabServer.Start(ServerKind.Rebound, new IPEndPoint(IPAddress.IPv6Any, 0));
        using LabServer naive = LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0));

        (int badExit, string badJson, _) = CliProcess.Run("", "doctor", "--port", $"{naive.LocalEndPoint.Port}", "--address", "127.0.0.2", "--json");
        (int goodExit, string goodJson, string goodError) = CliProcess.Run("", "doctor", "--port", $"{rebound.LocalEndPoint.Port}", "--address", "127.0.0.2", "--json");

        Assert.Equal(1, badExit);
        JsonElement badProbe = JsonSchemaAssert.Valid("doctor", badJson).GetProperty("listeners")[0].GetProperty("probes")[0];
        Assert.Equal("wrong-source", badProbe.GetProperty("verdict").GetString());
        Assert.Equal($"127.0.0.1:{naive.LocalEndPoint.Port}", badProbe.GetProperty("replySource").GetString());

        Assert.True(goodExit == 0, goodError);
        JsonElement good = JsonSchemaAssert.Valid("doctor", goodJson);
        Assert.False(good.GetProperty("wrongSourceProven").GetBoolean());
        Assert.Equal("ok", good.GetProperty("listeners")[0].GetProperty("verdict").GetString());
    }

    [Theory]
    [InlineData("--address", "203.0.113.77", "not an address of")]
    [InlineData("--address", "127.0.0.1", "pick another local address")]
    [InlineData("--address", "::1", "pick another local address")]
    [InlineData("--payload", "zz", "not hex")]
    [InlineData("--netns", "rb-no-such-namespace", "no network namespace named")]
    [InlineData("--pid", "999999999", "no process")]
    [InlineData("--timeout", "0", "out of range")]
    [InlineData("--port", "70000", "not a port")]
    public void Bad_requests_exit_2_with_a_reason_and_send_nothing(string option, string value, string message)
    {
        (int exit, string output, string error) = CliProcess.Run("", "doctor", "--port", "9", option, value);

        Assert.Equal(2, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Probes", output, StringComparison.Ordinal);
    }
}
