using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;
using Rebound.Lab;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Release;

/// <summary>
/// The NuGet packages as a .NET developer meets them: metadata and contents, the <c>rebound</c> tool installed from a
/// local feed, and a fresh console app that references the <c>Rebound</c> package and answers a loopback client from
/// the address it asked.
/// </summary>
[Collection(ReleaseSuite.Name)]
public sealed class NuGetPackageTests
{
    [ReleaseFact]
    public void Every_library_package_has_licence_readme_symbols_and_a_deterministic_build()
    {
        ReleaseBuild release = ReleaseBuild.Get();
        string[] libraries = [.. Directory.EnumerateDirectories(Path.Combine(RepositoryRoot.Path, "src"))
            .Where(d => File.Exists(Path.Combine(d, Path.GetFileName(d) + ".csproj")) && Path.GetFileName(d) != "Rebound.Cli" &&
                        !File.ReadAllText(Path.Combine(d, Path.GetFileName(d) + ".csproj")).Contains("<IsPackable>false</IsPackable>", StringComparison.Ordinal))
            .Select(Path.GetFileName)!];
        Assert.Contains("Rebound", libraries);
        Assert.Contains("Rebound.Hosting", libraries);

        foreach (string id in libraries.Append("Rebound.Cli"))
        {
            string package = Path.Combine(release.Dist, $"{id}.{release.Version}.nupkg");
            Assert.True(File.Exists(package), $"{id} is not packaged");
            Assert.True(File.Exists(Path.ChangeExtension(package, ".snupkg")), $"{id} has no symbols package");
            using ZipArchive zip = ZipFile.OpenRead(package);
            Assert.NotNull(zip.GetEntry("LICENSE"));
            Assert.NotNull(zip.GetEntry("README.md"));
            XNamespace ns = XDocument.Load(zip.GetEntry($"{id}.nuspec")!.Open()).Root!.Name.Namespace;
            XElement metadata = XDocument.Load(zip.GetEntry($"{id}.nuspec")!.Open()).Root!.Element(ns + "metadata")!;
            Assert.Equal("MIT", metadata.Element(ns + "license")?.Value);
            Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
            Assert.Contains("udp", metadata.Element(ns + "tags")?.Value ?? "", StringComparison.Ordinal);
            Assert.Matches("^[0-9a-f]{40}$", metadata.Element(ns + "repository")?.Attribute("commit")?.Value ?? "");
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value));
        }
    }

    [ReleaseFact]
    public void The_tool_package_carries_only_what_it_uses_and_installs_from_a_local_feed()
    {
        ReleaseBuild release = ReleaseBuild.Get();
        using (ZipArchive zip = ZipFile.OpenRead(Path.Combine(release.Dist, $"Rebound.Cli.{release.Version}.nupkg")))
        {
            string[] files = [.. zip.Entries.Select(e => e.FullName).Where(n => n.StartsWith("tools/", StringComparison.Ordinal))];
            Assert.Contains(files, f => f.EndsWith("/Rebound.Cli.dll", StringComparison.Ordinal));
            Assert.DoesNotContain(files, f => f.Contains("EventLog", StringComparison.Ordinal) || f.Contains("Microsoft.Extensions.Hosting", StringComparison.Ordinal) ||
                (f.EndsWith(".xml", StringComparison.Ordinal) && !f.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal)));
            Assert.DoesNotContain(files, f => f.EndsWith(".resources.dll", StringComparison.Ordinal));
        }

        string tools = release.NewFolder("tool");
        ProcessResult install = Dotnet(["tool", "install", "Rebound.Cli", "--version", release.Version, "--tool-path", tools, "--configfile", LocalFeedConfig(release)]);
        Assert.True(install.Succeeded, install.StandardOutput + install.StandardError);

        ProcessResult version = ProcessRunner.Run(Path.Combine(tools, "rebound"), ["--version"], TimeSpan.FromMinutes(1));
        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith(release.Version, version.StandardOutput.Trim(), StringComparison.Ordinal);
    }

    [ReleaseFact]
    public void A_fresh_console_app_built_on_the_package_answers_a_loopback_client_from_the_asked_address()
    {
        ReleaseBuild release = ReleaseBuild.Get();
        string app = release.NewFolder("consumer");
        File.WriteAllText(Path.Combine(app, "nuget.config"), File.ReadAllText(LocalFeedConfig(release)));
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <RestorePackagesPath>{Path.Combine(app, "packages")}</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Rebound" Version="{release.Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Rebound;

            using var socket = ReboundSocket.Bind("0.0.0.0:0");
            Console.WriteLine(socket.LocalEndPoint.Port);
            var buffer = new byte[2048];
            ReceivedDatagram request = socket.Receive(buffer);
            if (request.CanReply)
            {
                socket.Reply(request, buffer.AsSpan(0, request.Length));
            }
            """);
        ProcessResult build = Dotnet(["build", app, "-c", "Release", "-o", Path.Combine(app, "out"), "--nologo"]);
        Assert.True(build.Succeeded, build.StandardOutput + build.StandardError);

        using Process server = Process.Start(new ProcessStartInfo(Path.Combine(app, "out", "Consumer")) { RedirectStandardOutput = true, UseShellExecute = false })!;
        try
        {
            int port = int.Parse(server.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
            using Socket client = UdpClients.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.2"), port), new IPEndPoint(IPAddress.Loopback, 0));
            Assert.Equal("from the package", UdpClients.Exchange(client, "from the package", 3000));
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill();
            }
        }
    }

    /// <summary>A nuget.config whose only source is the release folder.</summary>
    private static string LocalFeedConfig(ReleaseBuild release)
    {
        string path = Path.Combine(release.Work, "nuget.config");
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="release" value="{release.Dist}" />
              </packageSources>
            </configuration>
            """);
        return path;
    }

    private static ProcessResult Dotnet(string[] arguments) => ProcessRunner.Run("dotnet", arguments, TimeSpan.FromMinutes(5));
}
