using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Rebound.Lab;

namespace Rebound.Tests.PerAddress;

/// <summary>
/// The client side of the churn test, on a thread of its own in the LAN namespace: every 50 ms it probes each live
/// churned address that has not answered yet and each fixed address, on the per-address server and on a naive server,
/// from unconnected sockets so that a reply from the wrong address is seen (a connected socket would drop it silently).
/// </summary>
internal sealed class ChurnProber : IDisposable
{
    private readonly Socket _v4;
    private readonly Socket _v6;
    private readonly int _port;
    private readonly int _naivePort;
    private readonly IPAddress[] _fixed;
    private readonly ConcurrentDictionary<int, IPAddress> _live = new();
    private readonly ConcurrentDictionary<int, TimeSpan> _addedAt = new();
    private readonly ConcurrentDictionary<int, TimeSpan> _answeredAt = new();
    private readonly ConcurrentDictionary<int, TimeSpan> _boundAt = new();
    private readonly Func<IPAddress, bool> _isServed;
    private readonly Thread _boundWatch;
    private readonly HashSet<int> _fixedOutstanding = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _fixedSequence;
    private int _wrong;
    private int _fixedAnswered;
    private int _naiveWrong;
    private int _naiveRight;
    private int _naiveRightV4;

    /// <param name="isServed">Whether the server has bound an address yet (read every 5 ms for the bound-after figure).</param>
    public ChurnProber(NetworkNamespace client, int port, int naivePort, IPAddress[] fixedAddresses, Func<IPAddress, bool> isServed)
    {
        _isServed = isServed;
        _port = port;
        _naivePort = naivePort;
        _fixed = fixedAddresses;
        (_v4, _v6) = client.Run(() => (Probe.Client(AddressFamily.InterNetwork), Probe.Client(AddressFamily.InterNetworkV6)));
        _thread = new Thread(Run) { IsBackground = true, Name = "churn prober" };
        _thread.Start();
        _boundWatch = new Thread(WatchBound) { IsBackground = true, Name = "churn bound watch" };
        _boundWatch.Start();
    }

    private void WatchBound()
    {
        while (!_stopping)
        {
            foreach ((int index, IPAddress address) in _live)
            {
                if (!_boundAt.ContainsKey(index) && _isServed(address))
                {
                    _boundAt.TryAdd(index, _clock.Elapsed);
                }
            }

            Thread.Sleep(5);
        }
    }

    public void Added(int index, IPAddress address)
    {
        _addedAt[index] = _clock.Elapsed;
        _live[index] = address;
    }

    /// <summary>Stops probing an address just before it is removed (an answer in flight is still checked).</summary>
    public void Removing(int index) => _live.TryRemove(index, out _);

    private void Run()
    {
        while (!_stopping)
        {
            foreach ((int index, IPAddress address) in _live)
            {
                if (!_answeredAt.ContainsKey(index))
                {
                    Send(address, _port, $"a{index}");
                }

                Send(address, _naivePort, $"n{index}");
            }

            for (int i = 0; i < _fixed.Length; i++)
            {
                int sequence = ++_fixedSequence;
                lock (_fixedOutstanding)
                {
                    _fixedOutstanding.Add(sequence);
                }

                Send(_fixed[i], _port, $"f{sequence}:{i}");
            }

            Drain(TimeSpan.FromMilliseconds(50));
        }
    }

    private void Send(IPAddress address, int port, string text)
    {
        Socket socket = address.AddressFamily == AddressFamily.InterNetwork ? _v4 : _v6;
        try
        {
            socket.SendTo(Encoding.ASCII.GetBytes(text), new IPEndPoint(address, port));
        }
        catch (SocketException)
        {
            // e.g. the address is being removed and the neighbour entry with it: no reply expected.
        }
    }

    private void Drain(TimeSpan wait)
    {
        var until = _clock.Elapsed + wait;
        byte[] buffer = new byte[256];
        var sockets = new List<Socket>(2);
        while (true)
        {
            TimeSpan left = until - _clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            sockets.Clear();
            sockets.Add(_v4);
            sockets.Add(_v6);
            Socket.Select(sockets, null, null, left);
            foreach (Socket socket in sockets)
            {
                EndPoint from = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
                int n;
                try
                {
                    n = socket.ReceiveFrom(buffer, ref from);
                }
                catch (SocketException)
                {
                    continue;
                }

                Check(Encoding.ASCII.GetString(buffer, 0, n), (IPEndPoint)from);
            }
        }
    }

    private void Check(string text, IPEndPoint from)
    {
        switch (text[0])
        {
            case 'a':
            {
                int index = int.Parse(text[1..], System.Globalization.CultureInfo.InvariantCulture);
                if (!from.Address.Equals(AddressChurnTests.ChurnAddress(index)))
                {
                    Interlocked.Increment(ref _wrong);
                }
                else
                {
                    _answeredAt.TryAdd(index, _clock.Elapsed);
                }

                break;
            }

            case 'n':
            {
                int index = int.Parse(text[1..], System.Globalization.CultureInfo.InvariantCulture);
                bool right = from.Address.Equals(AddressChurnTests.ChurnAddress(index));
                Interlocked.Increment(ref right ? ref _naiveRight : ref _naiveWrong);
                if (right && index % 2 == 0)
                {
                    Interlocked.Increment(ref _naiveRightV4);
                }

                break;
            }

            case 'f':
            {
                string[] parts = text[1..].Split(':');
                int sequence = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
                int which = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                if (!from.Address.Equals(_fixed[which]))
                {
                    Interlocked.Increment(ref _wrong);
                }

                lock (_fixedOutstanding)
                {
                    if (_fixedOutstanding.Remove(sequence))
                    {
                        _fixedAnswered++;
                    }
                }

                break;
            }
        }
    }

    /// <summary>Stops probing, waits 2 s for answers in flight, and tallies.</summary>
    public Result Finish()
    {
        _stopping = true;
        _thread.Join();
        _boundWatch.Join();
        Drain(TimeSpan.FromSeconds(2));
        TimeSpan[] delays = [.. _answeredAt.Select(a => a.Value - _addedAt[a.Key]).Order()];
        TimeSpan[] bound = [.. _boundAt.Select(a => a.Value - _addedAt[a.Key]).Order()];
        string slowest = string.Join(", ", _answeredAt.OrderByDescending(a => a.Value - _addedAt[a.Key]).Take(3)
            .Select(a => $"{AddressChurnTests.ChurnAddress(a.Key)} {(a.Value - _addedAt[a.Key]).TotalMilliseconds:F0} ms"));
        int[] unanswered = [.. _addedAt.Keys.Where(i => !_answeredAt.ContainsKey(i)).Order()];
        int fixedLost;
        lock (_fixedOutstanding)
        {
            fixedLost = _fixedOutstanding.Count;
        }

        return new Result(_wrong, _fixedAnswered, fixedLost, unanswered, delays, _naiveWrong, _naiveRight, _naiveRightV4) { Slowest = slowest, BoundAfter = bound };
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _boundWatch.Join();
        _v4.Dispose();
        _v6.Dispose();
    }

    /// <summary>What the probes saw. Delays run from the <c>ip addr add</c> to the first right answer.</summary>
    internal sealed record Result(int WrongSource, int FixedAnswered, int FixedLost, IReadOnlyList<int> Unanswered, TimeSpan[] ServedAfter, int NaiveWrongSource, int NaiveRightSource, int NaiveRightSourceV4)
    {
        /// <summary>The three slowest new addresses, for the log.</summary>
        public string Slowest { get; init; } = "";

        /// <summary>From the <c>ip addr add</c> to the server's socket for it (its own view, polled every 5 ms).</summary>
        public TimeSpan[] BoundAfter { get; init; } = [];

        public override string ToString() =>
            $"wrong-source {WrongSource}, fixed answered {FixedAnswered} lost {FixedLost}, new addresses answered {ServedAfter.Length} " +
            $"(bound after: median {Percentile(BoundAfter, 0.5):F0} ms, p95 {Percentile(BoundAfter, 0.95):F0} ms, max {Percentile(BoundAfter, 1):F0} ms; " +
            $"first answer after: median {Percentile(ServedAfter, 0.5):F0} ms, p95 {Percentile(ServedAfter, 0.95):F0} ms, max {Percentile(ServedAfter, 1):F0} ms; " +
            $"slowest {Slowest}), unanswered {Unanswered.Count}; " +
            $"naive server: {NaiveWrongSource} wrong-source, {NaiveRightSource} right-source replies to new addresses ({NaiveRightSourceV4} of them IPv4)";

        private static double Percentile(TimeSpan[] sorted, double p) =>
            sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Round(p * (sorted.Length - 1)))].TotalMilliseconds;
    }
}
