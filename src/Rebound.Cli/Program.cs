using System.CommandLine;
using System.CommandLine.Help;
using Rebound.Cli.Commands;
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

// A plain Command named "rebound" (not RootCommand, which takes its name from the executable, Rebound.Cli).
var root = new Command(
    "rebound",
    "rebound — UDP replies that leave from the address the request was sent to.\n" +
    "Reproduce, diagnose and fix the wrong-source-address failure of wildcard UDP servers.")
{
    new HelpOption(),
    new VersionOption(),
    EchoCommand.Create(),
    ListenCommand.Create(),
    ConnectCommand.Create(),
    LabCommand.Create(),
    DoctorCommand.Create(),
    AnalyzeCommand.Create(),
    TraceCommand.Create(),
    ProxyCommand.Create(),
    BenchCommand.Create(),
};

HelpEpilogue.Install(root);
return await CommandLineRunner.RunAsync(root, args);
