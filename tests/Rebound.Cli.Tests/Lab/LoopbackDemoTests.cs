using System.Net;
using Rebound.Cli.Lab;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Lab;

/// <summary>The lab's unprivileged fallback, called directly (as it runs without root): loopback only, no namespaces.</summary>
public sealed class LoopbackDemoTests
{
    [Fact]
    public void Naive_reply_comes_from_127_0_0_1_and_is_dropped_while_rebound_answers_from_127_0_0_2()
    {
        IReadOnlyList<LoopbackResult> results = LoopbackDemo.Run();

        LoopbackResult naive = Assert.Single(results, r => r.Server == ServerKind.Naive);
        Assert.Equal(Verdict.Fails, naive.Verdict);
        Assert.All(naive.Messages, m => Assert.Null(m.Reply));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, naive.Target.Port), naive.SeenFrom);

        LoopbackResult rebound = Assert.Single(results, r => r.Server == ServerKind.Rebound);
        Assert.Equal(Verdict.Works, rebound.Verdict);
        Assert.All(rebound.Messages, m => Assert.Equal(m.Sent, m.Reply));
        Assert.Equal(new IPEndPoint(LoopbackDemo.ServerAddress, rebound.Target.Port), rebound.SeenFrom);
        Assert.All(results, r => Assert.True(r.MatchesExpectation));
    }
}
