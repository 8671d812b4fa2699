using Rebound.Lab;
using Rebound.Cli.Tests.Docker;
using Rebound.Cli.Tests.Support;
using Rebound.Cli.Tests.Support.Docker;

namespace Rebound.Cli.Tests.Release;

/// <summary>
/// packaging/container/Dockerfile built without a registry, as docs/deploy.md tells: a base made from the release
/// binary's own libraries (<c>docker import</c>), the Dockerfile built on it with <c>--build-arg BASE</c>, and the image
/// run on the test daemon — on the host network, answering the field report's container client from the uplink address.
/// </summary>
[Collection(DockerSuite.Name)]
public sealed class ContainerImageTests(DockerFixture docker)
{
    private const string BaseImage = "rb-rebound-base:1";
    private const string Image = "rb-rebound:1";

    [SkippableFact]
    public void The_image_builds_from_an_imported_base_and_its_rebound_answers_a_container_from_the_asked_address()
    {
        Skip.IfNot(Privileges.IsRoot && ProcessRunner.IsInstalled("gcc") && ProcessRunner.IsInstalled("dpkg-deb"), "Skipped: the release build needs root, gcc and dpkg-deb.");
        DockerHost host = docker.Require();
        ReleaseBuild release = ReleaseBuild.Get();

        string context = release.NewFolder("image");
        ProcessRunner.RunChecked("tar", "-xzf", release.Tarball, "-C", context, "--strip-components=1");
        string rootfs = release.NewFolder("base");
        Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
        File.WriteAllText(Path.Combine(rootfs, "etc/passwd"), "nobody:x:65534:65534:nobody:/:/bin/false\n");
        string script = $"for l in $(ldd {HostCommand.Quote(Path.Combine(context, "rebound"))} | grep -o '/[^ ]*'); do install -D \"$l\" {HostCommand.Quote(rootfs)}\"$l\"; done && tar -C {HostCommand.Quote(rootfs)} -cf {HostCommand.Quote(rootfs)}.tar .";
        HostCommand.Shell(script).Checked("base root filesystem from ldd");
        host.Docker("import", rootfs + ".tar", BaseImage).Checked("docker import of the base");

        // The classic builder: it builds FROM a local image without asking a registry.
        CommandResult build = HostCommand.Run("/usr/bin/docker", ["-H", host.Socket, "build", "-q", "-f",
            Path.Combine(RepositoryRoot.Path, "packaging", "container", "Dockerfile"), "--build-arg", $"BASE={BaseImage}", "-t", Image, context],
            TimeSpan.FromMinutes(3), new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "0" });
        Assert.True(build.Succeeded, build.Output + build.Error);

        CommandResult version = host.Docker("run", "--rm", Image, "--version");
        Assert.True(version.Succeeded, version.Error);
        Assert.StartsWith(release.Version, version.Output.Trim(), StringComparison.Ordinal);
        Assert.Equal("65534:65534", host.Docker("image", "inspect", "-f", "{{.Config.User}}", Image).Checked("inspect").Trim());

        // The report's client in a container on the bridge asks the uplink address; the image's rebound, on the host
        // network as docs/deploy.md runs it, answers from that address.
        DockerContainer client = DockerScenario.StartClient(host, "image-client");
        CommandResult server = host.Docker("run", "-d", "--name", "image-echo", "--network", "host", Image, "echo", "-l", "0.0.0.0:56790");
        try
        {
            Assert.True(server.Succeeded, server.Error);
            Assert.True(WaitForLog(host, "image-echo", "listening on"), host.Docker("logs", "image-echo").Error);
            Assert.Equal("hello\nhi\n", DockerScenario.Netcat(host, client, DockerHost.UplinkAddress.ToString(), 56790));
        }
        finally
        {
            host.Docker("rm", "-f", "image-echo");
            host.Remove(client);
            host.Docker("rmi", "-f", Image, BaseImage);
        }
    }

    private static bool WaitForLog(DockerHost host, string container, string marker)
    {
        for (DateTime deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; Thread.Sleep(200))
        {
            CommandResult logs = host.Docker("logs", container);
            if ((logs.Output + logs.Error).Contains(marker, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
