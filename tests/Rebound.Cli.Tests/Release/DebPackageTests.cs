using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rebound.Lab;
using Rebound.Cli.Tests.Proxy;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Release;

/// <summary>
/// The .deb and the release tarball as an operator uses them: checksums, <c>dpkg -i</c> on a clean system, the binary,
/// the man page and completions, the proxy unit's command line run by hand as an unprivileged user, and a purge that
/// leaves nothing.
/// </summary>
[Collection(ReleaseSuite.Name)]
public sealed class DebPackageTests
{
    [ReleaseFact]
    public void The_tarball_holds_only_the_stripped_binary_and_its_docs_and_every_checksum_matches()
    {
        ReleaseBuild release = ReleaseBuild.Get();

        ProcessResult sums = ProcessRunner.Run("bash", ["-c", $"cd '{release.Dist}' && sha256sum -c SHA256SUMS"]);
        Assert.True(sums.Succeeded, sums.StandardOutput + sums.StandardError);
        Assert.Contains($"rebound_{release.Version}_amd64.deb: OK", sums.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"Rebound.{release.Version}.nupkg: OK", sums.StandardOutput, StringComparison.Ordinal);

        string[] entries = ProcessRunner.RunChecked("tar", "-tzf", release.Tarball).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string top = $"rebound-{release.Version}-linux-x64/";
        Assert.Contains(top + "rebound", entries);
        Assert.Contains(top + "LICENSE", entries);
        Assert.Contains(top + "share/usr/share/man/man1/rebound.1.gz", entries);
        Assert.DoesNotContain(entries, e => e.EndsWith(".dbg", StringComparison.Ordinal) || e.EndsWith(".pdb", StringComparison.Ordinal) || e.EndsWith(".xml", StringComparison.Ordinal) || e.EndsWith(".dll", StringComparison.Ordinal));

        string folder = release.NewFolder("tar");
        ProcessRunner.RunChecked("tar", "-xzf", release.Tarball, "-C", folder);
        string binary = Path.Combine(folder, top, "rebound");
        string sections = ProcessRunner.RunChecked("readelf", "-S", "-W", binary);
        Assert.DoesNotContain(".debug_info", sections, StringComparison.Ordinal);
        ProcessResult help = ProcessRunner.Run(binary, ["--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("rebound [command] [options]", help.StandardOutput, StringComparison.Ordinal);
    }

    [ReleaseFact("dpkg")]
    public void The_deb_installs_runs_the_proxy_unit_command_line_and_purges_clean()
    {
        ReleaseBuild release = ReleaseBuild.Get();
        Dpkg("--purge", "rebound");  // a clean state, whatever an earlier, interrupted run left
        Assert.False(File.Exists("/usr/bin/rebound"), "/usr/bin/rebound exists without the package: not a clean system");
        try
        {
            ProcessResult install = Dpkg("-i", release.Deb);
            Assert.True(install.Succeeded, install.StandardOutput + install.StandardError);

            ProcessResult version = ProcessRunner.Run("/usr/bin/rebound", ["--version"]);
            Assert.Equal(0, version.ExitCode);
            Assert.StartsWith(release.Version, version.StandardOutput.Trim(), StringComparison.Ordinal);

            // doctor: 0 (nothing wrong) or 1 (a wildcard listener found) are answers; 2+ would be a failure to run.
            ProcessResult doctor = ProcessRunner.Run("/usr/bin/rebound", ["doctor", "--no-probe", "--json"], TimeSpan.FromMinutes(1));
            Assert.True(doctor.ExitCode is 0 or 1, $"doctor exited {doctor.ExitCode}: {doctor.StandardError}");
            Assert.StartsWith("{", doctor.StandardOutput.TrimStart(), StringComparison.Ordinal);

            foreach (string file in (string[])["/usr/share/man/man1/rebound.1.gz", "/usr/share/bash-completion/completions/rebound",
                                                "/usr/share/zsh/vendor-completions/_rebound", "/lib/systemd/system/rebound-proxy@.service",
                                                "/lib/systemd/system/rebound-shield@.service",
                                                "/usr/share/doc/rebound/copyright", "/usr/share/doc/rebound/examples/proxy.json"])
            {
                Assert.True(File.Exists(file), $"{file} not installed");
            }

            AssertBashCompletes("rebound pro", "proxy");
            AssertBashCompletes("rebound proxy --metr", "--metrics-listen");
            AssertBashCompletes("rebound proxy --log-format sy", "systemd");
            ProcessResult zsh = ProcessRunner.Run("head", ["-1", "/usr/share/zsh/vendor-completions/_rebound"]);
            Assert.Equal("#compdef rebound", zsh.StandardOutput.Trim());
            RunTheProxyUnitByHand();
        }
        finally
        {
            Dpkg("--purge", "rebound");
        }

        Assert.False(File.Exists("/usr/bin/rebound"));
        Assert.False(File.Exists("/lib/systemd/system/rebound-proxy@.service"));
        Assert.False(Directory.Exists("/etc/rebound"), "/etc/rebound left after purge");
        Assert.DoesNotContain("install ok installed", ProcessRunner.Run("dpkg-query", ["-W", "-f=${Status}", "rebound"]).StandardOutput, StringComparison.Ordinal);
    }

    [ReleaseFact("systemd-analyze")]
    public void The_proxy_unit_passes_systemd_analyze_verify()
    {
        ReleaseBuild release = ReleaseBuild.Get();
        string folder = release.NewFolder("units");
        ProcessRunner.RunChecked("dpkg-deb", "-x", release.Deb, folder);
        string unit = Path.Combine(folder, "lib/systemd/system/rebound-proxy@.service");

        // verify needs an instance, and checks ExecStart's binary exists: point it at the packaged one.
        string instance = Path.Combine(folder, "rebound-proxy@test.service");
        File.WriteAllText(instance, File.ReadAllText(unit).Replace("/usr/bin/rebound", Path.Combine(folder, "usr/bin/rebound"), StringComparison.Ordinal));
        ProcessResult verify = ProcessRunner.Run("systemd-analyze", ["verify", "--man=no", instance], TimeSpan.FromMinutes(1));

        Assert.True(verify.Succeeded, verify.StandardOutput + verify.StandardError);
        Assert.DoesNotContain("rebound-proxy@test.service:", verify.StandardError, StringComparison.Ordinal);
    }

    [ReleaseFact("systemd-analyze")]
    public void The_shield_unit_passes_systemd_analyze_verify_and_names_its_service()
    {
        ReleaseBuild release = ReleaseBuild.Get();
        string folder = release.NewFolder("shield-unit");
        ProcessRunner.RunChecked("dpkg-deb", "-x", release.Deb, folder);
        string text = File.ReadAllText(Path.Combine(folder, "lib/systemd/system/rebound-shield@.service"));

        // An instance for a service verify can load from the same folder, ExecStart pointed at the packaged binary.
        File.WriteAllText(Path.Combine(folder, "rbtest.service"), "[Unit]\nDescription=test\n[Service]\nExecStart=/bin/sleep 1\n");
        string instance = Path.Combine(folder, "rebound-shield@rbtest.service");
        File.WriteAllText(instance, text.Replace("/usr/bin/rebound", Path.Combine(folder, "usr/bin/rebound"), StringComparison.Ordinal));
        ProcessResult verify = ProcessRunner.Run("systemd-analyze", ["verify", "--man=no", instance], TimeSpan.FromMinutes(1));

        Assert.True(verify.Succeeded, verify.StandardOutput + verify.StandardError);
        Assert.DoesNotContain("rebound-shield@rbtest.service:", verify.StandardError, StringComparison.Ordinal);
        Assert.Contains("ExecStart=/usr/bin/rebound shield attach --unit %i.service", text, StringComparison.Ordinal);
        Assert.Contains("ExecStop=-/usr/bin/rebound shield detach --unit %i.service", text, StringComparison.Ordinal);
        Assert.Contains("PartOf=%i.service", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// systemd is not running here: take ExecStart from the installed unit, run it as an unprivileged user (what
    /// DynamicUser gives) with a settings file in /etc/rebound, and prove the proxy answers from the asked address
    /// where the backend alone does not.
    /// </summary>
    private static void RunTheProxyUnitByHand()
    {
        string execStart = File.ReadAllLines("/lib/systemd/system/rebound-proxy@.service").Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..];
        Assert.Contains("/etc/rebound/%i.json", execStart, StringComparison.Ordinal);
        Assert.Contains("DynamicUser=yes", File.ReadAllText("/lib/systemd/system/rebound-proxy@.service"), StringComparison.Ordinal);

        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        int front = FreeUdpPort();
        string instance = $"rbtest{Environment.ProcessId}";
        string config = $"/etc/rebound/{instance}.json";
        File.WriteAllText(config, $$"""{ "listen": ["0.0.0.0:{{front}}"], "backends": ["{{backend.Loopback}}"] }""");
        try
        {
            // The bug first: the backend alone answers 127.0.0.2 from 127.0.0.1, and the connected client drops it.
            using (Socket direct = UdpClients.Connect(new IPEndPoint(ProxyTestHelpers.Second, backend.Port), new IPEndPoint(IPAddress.Loopback, 0)))
            {
                Assert.Null(UdpClients.Exchange(direct, "direct"));
            }

            string[] words = execStart.Replace("%i", instance, StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var start = new ProcessStartInfo("setpriv") { RedirectStandardError = true, UseShellExecute = false };
            foreach (string word in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs", .. words])
            {
                start.ArgumentList.Add(word);
            }

            using Process proxy = Process.Start(start)!;
            try
            {
                CliProcess.WaitForStderr(proxy, "Proxying");
                using Socket client = UdpClients.Connect(new IPEndPoint(ProxyTestHelpers.Second, front), new IPEndPoint(IPAddress.Loopback, 0));
                Assert.Equal("via unit", UdpClients.Exchange(client, "via unit", ProxyTestHelpers.Answer));
                Process.Start("kill", ["-TERM", proxy.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
                Assert.True(proxy.WaitForExit(TimeSpan.FromSeconds(10)));
                Assert.Equal(0, proxy.ExitCode);
            }
            finally
            {
                if (!proxy.HasExited)
                {
                    proxy.Kill();
                }
            }
        }
        finally
        {
            File.Delete(config);
        }
    }

    private static void AssertBashCompletes(string line, string expected)
    {
        string[] words = line.Split(' ');
        string script = $"source /usr/share/bash-completion/completions/rebound; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; " +
                        $"COMP_WORDS=({string.Join(' ', words.Select(w => $"'{w}'"))}); COMP_CWORD={words.Length - 1}; " +
                        "_rebound_complete; printf '%s\\n' \"${COMPREPLY[@]}\"";
        ProcessResult result = ProcessRunner.Run("bash", ["-c", script]);
        Assert.Contains(expected, result.StandardOutput.Split('\n'));
    }

    private static ProcessResult Dpkg(params string[] arguments) => ProcessRunner.Run("dpkg", arguments, TimeSpan.FromMinutes(2));

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

/// <summary>The release tests run one after another: they share the build and the system's package database.</summary>
[CollectionDefinition(Name)]
public sealed class ReleaseSuite
{
    public const string Name = "release";
}
