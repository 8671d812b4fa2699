namespace Rebound.TestSupport.Docker;

/// <summary>
/// The one image the Docker tests run, built without a registry: a root filesystem assembled from this host's own
/// binaries (busybox-static for the shell and coreutils, OpenBSD <c>nc</c>, <c>dig</c>, and the libraries they and the
/// .NET runtime load) and loaded with <c>docker import</c>. The .NET runtime itself and the test binaries are
/// bind-mounted read-only (<see cref="DotnetMounts"/>), so a container can run the real <c>rebound</c> CLI.
/// </summary>
public static class ToolImage
{
    /// <summary>The tag the image gets.</summary>
    public const string Name = "rb-tools:1";

    /// <summary>Where the host's .NET lives (and where containers see it).</summary>
    public const string DotnetRoot = "/usr/share/dotnet";

    /// <summary>Where containers see the test output folder (Rebound.Cli.dll and its dependencies).</summary>
    public const string AppFolder = "/rebound";

    /// <summary>Host programs copied into the image: (source, path in the image).</summary>
    private static readonly (string Source, string Target)[] Programs =
    [
        ("/bin/busybox", "/bin/busybox"),
        ("/usr/bin/nc.openbsd", "/usr/bin/nc"),
        ("/usr/bin/dig", "/usr/bin/dig"),
    ];

    /// <summary>Why the image cannot be built here, or null.</summary>
    public static string? WhyUnavailable()
    {
        foreach ((string source, _) in Programs)
        {
            if (!File.Exists(source))
            {
                return $"{source} is missing (scripts/test.sh installs busybox-static, netcat-openbsd and bind9-dnsutils)";
            }
        }

        return RuntimeFolder() is null ? $"no .NET runtime under {DotnetRoot}/shared/Microsoft.NETCore.App" : null;
    }

    /// <summary><c>docker run</c> options that let a container run <c>dotnet /rebound/Rebound.Cli.dll …</c>.</summary>
    public static string[] DotnetMounts =>
    [
        "-v", $"{DotnetRoot}:{DotnetRoot}:ro",
        "-v", $"{AppContext.BaseDirectory.TrimEnd('/')}:{AppFolder}:ro",
        "-e", "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1",
        "-e", "DOTNET_CLI_TELEMETRY_OPTOUT=1",
        "-e", "DOTNET_NOLOGO=1",
    ];

    /// <summary>The command line that runs <c>rebound ARGS</c> inside a container started with <see cref="DotnetMounts"/>.</summary>
    public static string[] Rebound(params string[] arguments) => [$"{DotnetRoot}/dotnet", $"{AppFolder}/Rebound.Cli.dll", .. arguments];

    /// <summary>Assembles the root filesystem under <paramref name="folder"/> and imports it into the daemon.</summary>
    internal static void Build(string folder, Func<string, CommandResult> importTar)
    {
        string root = Path.Combine(folder, "rootfs");
        foreach (string dir in (string[])["bin", "usr/bin", "etc", "tmp", "proc", "sys", "dev"])
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }

        var libraries = new SortedSet<string>(StringComparer.Ordinal);
        foreach ((string source, string target) in Programs)
        {
            File.Copy(source, root + target);
            libraries.UnionWith(SharedLibraries(source));
        }

        IEnumerable<string> dotnet = Directory.EnumerateFiles(RuntimeFolder()!, "*.so")
            .Concat(Directory.EnumerateFiles(Path.Combine(DotnetRoot, "host"), "*.so", SearchOption.AllDirectories))
            .Append(Path.Combine(DotnetRoot, "dotnet"));
        foreach (string native in dotnet)
        {
            libraries.UnionWith(SharedLibraries(native));
        }

        foreach (string library in libraries)
        {
            string target = root + library;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (!File.Exists(target))
            {
                File.Copy(new FileInfo(library).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? library, target);
            }
        }

        // busybox applets as symbolic links, as `busybox --install -s` would make them.
        foreach (string applet in HostCommand.Run("/bin/busybox", ["--list"]).Checked("busybox --list").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string link = Path.Combine(root, "bin", applet);
            if (!File.Exists(link) && !File.Exists(Path.Combine(root, "usr/bin", applet)) && applet != "nc")
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        File.WriteAllText(Path.Combine(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
        File.WriteAllText(Path.Combine(root, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
        string tar = Path.Combine(folder, "rootfs.tar");
        HostCommand.Run("tar", ["-C", root, "-cf", tar, "."]).Checked("tar of the image's root filesystem");
        importTar(tar).Checked($"docker import {Name}");
        Directory.Delete(root, recursive: true);
        File.Delete(tar);
    }

    private static string? RuntimeFolder()
    {
        string shared = Path.Combine(DotnetRoot, "shared", "Microsoft.NETCore.App");
        string version = Environment.Version.ToString();
        string exact = Path.Combine(shared, version);
        if (Directory.Exists(exact))
        {
            return exact;
        }

        return Directory.Exists(shared) ? Directory.EnumerateDirectories(shared).Order(StringComparer.Ordinal).LastOrDefault() : null;
    }

    /// <summary>The absolute paths ldd names for <paramref name="binary"/> (libraries and the loader).</summary>
    private static IEnumerable<string> SharedLibraries(string binary)
    {
        CommandResult ldd = HostCommand.Run("ldd", [binary]);
        foreach (string line in ldd.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string? path = words.FirstOrDefault(w => w.StartsWith('/'));
            if (path is not null && File.Exists(path))
            {
                yield return path;
            }
        }
    }
}
