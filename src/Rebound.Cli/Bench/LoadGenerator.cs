using System.Diagnostics;
using System.Runtime.InteropServices;
using Rebound.Capture;
using Rebound.Interop;

namespace Rebound.Cli.Bench;

/// <summary>
/// A closed-loop UDP load generator: S connected sockets each keep W datagrams in flight and answer every reply with a
/// new datagram at once, on one thread that waits with poll(). It stops by itself after the window (or the count) and a
/// drain of at most one loss timeout.
/// </summary>
internal static unsafe class LoadGenerator
{
    private const int PollMilliseconds = 10;

    /// <summary>Runs the load on a dedicated thread (pinned when asked) and returns what it measured.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">A client socket could not be bound, connected or used.</exception>
    public static Task<LoadResult> RunAsync(LoadSettings settings, CancellationToken cancellation) =>
        DedicatedThread.Run("rebound bench load", () => Run(settings, cancellation));

    private static LoadResult Run(LoadSettings settings, CancellationToken cancellation)
    {
        if (settings.Cpu is int cpu && BenchNative.PinCurrentThread(cpu) is Errno errno and not Errno.None)
        {
            throw new ArgumentException($"cannot pin the load thread to CPU {cpu}: {errno.Describe()}");
        }

        var clients = new List<ClientSocket>(settings.Sockets);
        try
        {
            for (int i = 0; i < settings.Sockets; i++)
            {
                clients.Add(new ClientSocket(settings.Target, settings.Source, settings.InFlight, settings.PayloadSize));
            }

            return Drive(settings, clients, cancellation);
        }
        finally
        {
            foreach (ClientSocket client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static LoadResult Drive(LoadSettings settings, List<ClientSocket> clients, CancellationToken cancellation)
    {
        var tally = new LoadTally();
        PollDescriptor* polls = stackalloc PollDescriptor[clients.Count];
        for (int i = 0; i < clients.Count; i++)
        {
            polls[i] = new PollDescriptor { Descriptor = clients[i].Descriptor, Events = Libc.POLLIN };
        }

        // During the warm-up nothing is counted and the budget is unlimited; the window has the --count budget.
        bool warming = settings.Warmup > TimeSpan.Zero;
        long windowBudget = settings.Count > 0 ? settings.Count : long.MaxValue;
        long budget = warming ? long.MaxValue : windowBudget;
        TimeSpan? cpuStart = warming ? null : ReadServerCpu(settings);
        foreach (ClientSocket client in clients)
        {
            client.Fill(tally, budget);
        }

        long start = Stopwatch.GetTimestamp();
        long windowStart = start + ToTicks(settings.Warmup);
        long windowEnd = windowStart + ToTicks(settings.Duration);
        long scanEvery = ToTicks(settings.LossTimeout / 4);
        long lastScan = start;
        long now = start;
        while (!cancellation.IsCancellationRequested)
        {
            now = Stopwatch.GetTimestamp();
            if (warming && now >= windowStart)
            {
                warming = false;
                tally.Clear();
                tally.Sent = Outstanding(clients); // sent during the warm-up, answered (or lost) in the window
                budget = windowBudget;
                cpuStart = ReadServerCpu(settings);
                windowStart = now;
                windowEnd = now + ToTicks(settings.Duration);
                foreach (ClientSocket client in clients)
                {
                    client.Fill(tally, budget); // slots freed by lost datagrams during the warm-up
                }
            }

            if (!warming && (now >= windowEnd || (tally.Sent >= budget && Outstanding(clients) == 0)))
            {
                break;
            }

            Step(clients, polls, tally, budget, settings.LossTimeout, ref lastScan, scanEvery);
        }

        now = Stopwatch.GetTimestamp();
        TimeSpan? cpuEnd = ReadServerCpu(settings);
        long repliesInWindow = tally.Replies;
        TimeSpan window = Stopwatch.GetElapsedTime(Math.Min(windowStart, now), now);

        // Drain: no new datagrams; wait up to one loss timeout for the replies still in flight.
        long drainEnd = now + ToTicks(settings.LossTimeout);
        while (Outstanding(clients) > 0 && Stopwatch.GetTimestamp() < drainEnd && !cancellation.IsCancellationRequested)
        {
            Step(clients, polls, tally, budget: 0, settings.LossTimeout, ref lastScan, scanEvery);
        }

        foreach (ClientSocket client in clients)
        {
            client.AbandonOutstanding(tally);
        }

        TimeSpan? serverCpu = cpuStart is { } a && cpuEnd is { } b ? b - a : null;
        return new LoadResult(settings, tally, repliesInWindow, window, serverCpu);
    }

    private static void Step(
        List<ClientSocket> clients, PollDescriptor* polls, LoadTally tally, long budget, TimeSpan lossTimeout, ref long lastScan, long scanEvery)
    {
        int ready = Libc.Poll(polls, (nuint)clients.Count, PollMilliseconds);
        if (ready < 0 && !Libc.Interrupted(ready))
        {
            throw Libc.LastError.ToException("poll");
        }

        for (int i = 0; i < clients.Count; i++)
        {
            if (ready > 0 && (polls[i].ReturnedEvents & (Libc.POLLIN | Libc.POLLERR)) != 0)
            {
                clients[i].Pump(tally, budget);
            }
        }

        long now = Stopwatch.GetTimestamp();
        if (now - lastScan >= scanEvery)
        {
            lastScan = now;
            foreach (ClientSocket client in clients)
            {
                client.ExpireLost(tally, budget, lossTimeout);
            }
        }
    }

    private static int Outstanding(List<ClientSocket> clients)
    {
        int total = 0;
        foreach (ClientSocket client in clients)
        {
            total += client.Outstanding;
        }

        return total;
    }

    private static TimeSpan? ReadServerCpu(LoadSettings settings) =>
        settings.ServerProcessId is int pid ? ProcessCpuTime.Read(pid) : null;

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
