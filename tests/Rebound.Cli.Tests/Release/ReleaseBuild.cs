using Rebound.Lab;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Release;

/// <summary>
/// The artifacts of one <c>scripts/release.sh</c> run, built at most once per test run (a NativeAOT publish takes
/// minutes on two cores) and shared by every release test, whatever its collection. Deleted when the process exits.
/// </summary>
internal sealed class ReleaseBuild
{
    private static readonly Lazy<ReleaseBuild> Shared = new(() => new ReleaseBuild(), LazyThreadSafetyMode.ExecutionAndPublication);

    private ReleaseBuild()
    {
        string work = Directory.CreateTempSubdirectory("rebound-release-test-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(work, recursive: true);
        Dist = Path.Combine(work, "dist");
        Work = work;
        Result = ProcessRunner.Run("bash", [Path.Combine(RepositoryRoot.Path, "scripts", "release.sh"), "--out", Dist, "--arch", "x64"], TimeSpan.FromMinutes(30));
        Version = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "Directory.Build.props")).Split("<Version>")[1].Split("</Version>")[0];
    }

    /// <summary>The release built by this test run (built on first use).</summary>
    public static ReleaseBuild Get()
    {
        ReleaseBuild build = Shared.Value;
        Assert.True(build.Result.Succeeded, $"scripts/release.sh failed:\n{build.Result.StandardOutput}\n{build.Result.StandardError}");
        return build;
    }

    public ProcessResult Result { get; }

    /// <summary>The folder release.sh wrote (the equivalent of dist/).</summary>
    public string Dist { get; }

    /// <summary>A scratch folder that goes when the test run ends.</summary>
    public string Work { get; }

    public string Version { get; }

    public string Deb => Path.Combine(Dist, $"rebound_{Version}_amd64.deb");

    public string Tarball => Path.Combine(Dist, $"rebound-{Version}-linux-x64.tar.gz");

    /// <summary>A new empty folder under <see cref="Work"/>.</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(Work, $"{name}-{Guid.NewGuid():N}")).FullName;
}

/// <summary>
/// A test of what scripts/release.sh builds, installed as a user would: needs root (dpkg -i, the system's paths) and the
/// build tools; skipped with the reason otherwise.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReleaseFactAttribute : FactAttribute
{
    public ReleaseFactAttribute(params string[] programs)
    {
        string? missing = ((string[])["gcc", "dpkg-deb", "objdump", .. programs]).FirstOrDefault(p => !ProcessRunner.IsInstalled(p));
        if (!Privileges.IsRoot)
        {
            Skip = "Skipped: the release tests install packages system-wide and need root (CI runs as root).";
        }
        else if (missing is not null)
        {
            Skip = $"Skipped: `{missing}` is not installed (scripts/test.sh installs it when run as root).";
        }
    }
}
