using System.CommandLine;
using System.CommandLine.Help;
using Rebound.Cli.Commands;
using Rebound.Cli.Infrastructure;

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
