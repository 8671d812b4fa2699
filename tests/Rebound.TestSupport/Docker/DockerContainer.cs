using System.Net;
using Rebound.Lab;

namespace Rebound.TestSupport.Docker;

/// <summary>
/// A container the harness started: its name, its init process as the host sees it (for <c>/proc/PID/ns/net</c>,
/// <c>doctor --pid</c>) and its address on the default bridge.
/// </summary>
public sealed record DockerContainer(string Name, int Pid, IPAddress Address)
{
    /// <summary>The container's network namespace, as a path another process can open or <c>setns</c> into.</summary>
    public string NetworkNamespacePath => $"/proc/{Pid}/ns/net";
}
