using Rebound.TestSupport.Docker;

namespace Rebound.Cli.Tests.Docker;

/// <summary>The tests that share one real Docker daemon; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class DockerSuite : ICollectionFixture<DockerFixture>
{
    public const string Name = "docker";
}
