using System.Net;
using System.Text.Json;
using Rebound.Cli.Tests.Output;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Language;

/// <summary>
/// <c>-4</c>/<c>-6</c> where an address family is a choice: doctor probes only that family's addresses, bench reads a
/// bare PORT as 127.0.0.1 or [::1], and an address of the other family is a usage error (exit 2) that names it.
/// Real CLI processes against real servers on loopback; no privileges needed.
/// </summary>
public sealed class AddressFamilyFlagTests
{
    [Fact]
    public void Doctor_with_6_probes_no_IPv4_address_which_it_probes_without()
    {
        using LabServer server = LabServer.Start(ServerKind.Rebound, new IPEndPoint(IPAddress.IPv6Any, 0));
        string port = server.LocalEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        List<string> both = ProbedAddresses(CliProcess.Run("", "doctor", "-p", port, "--json"));
        List<string> sixOnly = ProbedAddresses(CliProcess.Run("", "doctor", "-6", "-p", port, "--json"));
        List<string> fourOnly = ProbedAddresses(CliProcess.Run("", "doctor", "-4", "-p", port, "--json"));

        // Every host has an IPv4 address to probe (127.0.0.2 when it has nothing but loopback).
        Assert.Contains(both, a => !a.Contains(':', StringComparison.Ordinal));
        Assert.DoesNotContain(sixOnly, a => !a.Contains(':', StringComparison.Ordinal));
        Assert.Contains(fourOnly, a => !a.Contains(':', StringComparison.Ordinal));
        Assert.DoesNotContain(fourOnly, a => a.Contains(':', StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("doctor", "-4", "-a", "2001:db8::1")]
    [InlineData("doctor", "-6", "-a", "127.0.0.2")]
    [InlineData("doctor", "-4", "-6")]
    [InlineData("bench", "-6", "127.0.0.1:9")]
    [InlineData("bench", "-4", "[::1]:9")]
    [InlineData("bench", "-4", "-6", "9")]
    public void An_address_of_the_other_family_is_a_usage_error(params string[] arguments)
    {
        (int code, string stdout, string stderr) = CliProcess.Run("", arguments);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Matches("-4|-6", stderr);
    }

    [Fact]
    public void Bench_with_6_reads_a_bare_port_as_the_IPv6_loopback()
    {
        using LabServer server = LabServer.Start(ServerKind.Rebound, new IPEndPoint(IPAddress.IPv6Any, 0));
        string port = server.LocalEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        (int code, string stdout, string stderr) = CliProcess.Run("", "bench", "-6", port, "-d", "0.2", "--warmup", "0", "--sockets", "1", "--json");

        Assert.True(code == 0, stderr);
        Assert.Equal($"[::1]:{port}", JsonSchemaAssert.Valid("bench", stdout).GetProperty("server").GetString());
    }

    private static List<string> ProbedAddresses((int Code, string Output, string Error) run)
    {
        Assert.True(run.Code is 0 or 1, run.Error);
        JsonElement document = JsonSchemaAssert.Valid("doctor", run.Output);
        return [.. document.GetProperty("listeners").EnumerateArray()
            .SelectMany(l => l.GetProperty("probes").EnumerateArray())
            .Select(p => p.GetProperty("localAddress").GetString()!)];
    }
}
