using Rebound.Cli.Infrastructure;

if (LinuxOnly.Check(args) is int refused)
{
    return refused;
}

// Socket continuations run on the runtime's epoll thread instead of hopping to the thread pool: the plain .NET sockets
// here (echo/listen --naive, the bench's naive-async baseline, connect/listen) never block in a continuation, and the hop
// costs ~3 µs per datagram (docs/benchmarks.md). Rebound's own sockets do not need it: their async waits run on each
// socket's I/O thread. The runtime reads this variable once, when the first async socket operation starts; a value set
// by the user wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

return await CommandLineRunner.RunAsync(ReboundRoot.Create(), args);
