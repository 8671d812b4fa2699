using System.Net;

namespace Rebound.Cli.Bench;

/// <summary>How hard, how long and from where <see cref="LoadGenerator"/> drives a UDP echo server.</summary>
/// <param name="Target">The server.</param>
/// <param name="Source">Address the client sockets bind to (null: let the kernel choose).</param>
/// <param name="Sockets">Connected client sockets.</param>
/// <param name="InFlight">Datagrams each socket keeps outstanding.</param>
/// <param name="PayloadSize">Bytes per datagram (at least 16).</param>
/// <param name="Duration">Length of the measured window.</param>
/// <param name="Count">Stop after sending this many datagrams in the window (0: no limit).</param>
/// <param name="Warmup">Load applied before the window opens, not counted (lets a JIT-compiled server reach steady state).</param>
/// <param name="LossTimeout">A datagram unanswered this long counts as lost.</param>
/// <param name="Cpu">CPU to pin the load thread to, or null.</param>
/// <param name="ServerProcessId">Server process whose CPU time is charged per reply, or null.</param>
internal sealed record LoadSettings(
    IPEndPoint Target,
    IPAddress? Source,
    int Sockets,
    int InFlight,
    int PayloadSize,
    TimeSpan Duration,
    long Count,
    TimeSpan Warmup,
    TimeSpan LossTimeout,
    int? Cpu,
    int? ServerProcessId);

/// <summary>The outcome of one load run.</summary>
/// <param name="Settings">What was asked.</param>
/// <param name="Tally">Counts and latencies of the measured window (replies that arrived during the final drain included).</param>
/// <param name="RepliesInWindow">Replies received before the window closed: the numerator of the rate and of the server CPU.</param>
/// <param name="Window">Length of the measured window.</param>
/// <param name="ServerCpu">CPU time the server used during the window, or null when not measured or unreadable.</param>
internal sealed record LoadResult(LoadSettings Settings, LoadTally Tally, long RepliesInWindow, TimeSpan Window, TimeSpan? ServerCpu)
{
    public double RepliesPerSecond => Window > TimeSpan.Zero ? RepliesInWindow / Window.TotalSeconds : 0;

    /// <summary>Lost ÷ sent, 0–1.</summary>
    public double LossRatio => Tally.Sent == 0 ? 0 : (double)Tally.Lost / Tally.Sent;

    /// <summary>Server CPU µs (user + system) per reply received in the window, or null.</summary>
    public double? ServerMicrosecondsPerReply =>
        ServerCpu is { } cpu && RepliesInWindow > 0 ? cpu.TotalMicroseconds / RepliesInWindow : null;
}
