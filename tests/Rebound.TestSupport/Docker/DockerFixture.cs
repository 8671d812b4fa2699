namespace Rebound.TestSupport.Docker;

/// <summary>
/// One <see cref="DockerHost"/> shared by the tests of a collection (xunit creates it when the first of them runs and
/// disposes it after the last). Tests call <see cref="Require"/>, which skips them with the reason when no daemon
/// could start here. Declare a collection with <c>ICollectionFixture&lt;DockerFixture&gt;</c> in each test assembly.
/// </summary>
public sealed class DockerFixture : IDisposable
{
    private readonly DockerHost? _host;
    private readonly string? _whyNot;

    public DockerFixture()
    {
        try
        {
            _host = DockerHost.Start();
        }
        catch (DockerUnavailableException e)
        {
            _whyNot = e.Message;
        }
    }

    /// <summary>The daemon; skips the calling <c>[SkippableFact]</c> when there is none.</summary>
    public DockerHost Require()
    {
        Skip.If(_host is null, $"Skipped: no Docker daemon: {_whyNot}.");
        return _host!;
    }

    public void Dispose() => _host?.Dispose();
}
