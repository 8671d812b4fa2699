using Rebound.Capture;

namespace Rebound.Capture.Analysis;

/// <summary>What changed when a packet was observed, for live output.</summary>
public enum FindingEventKind
{
    /// <summary>A flow got its first wrong reply.</summary>
    NewFinding,

    /// <summary>The client rejected a flow's wrong reply for the first time.</summary>
    FirstRejection,
}

/// <summary>A change to a finding, reported by <see cref="FlowAnalyzer.Observe"/> so <c>trace</c> can print it at once.</summary>
public readonly record struct FindingEvent(FindingEventKind Kind, Finding Finding);

/// <summary>
/// The one implementation of the wrong-source analysis, shared by <c>analyze</c> (files) and <c>trace</c> (live). It sees
/// packets in capture order and correlates, per client endpoint C:c, its requests to S:s with the datagrams that come back
/// to C:c within a time window: from S:s is a good reply; from X:s (X≠S) is "reply from unexpected source"; from S:s'
/// (s'≠s) is "reply from unexpected port" (SNAT). An ICMP port unreachable quoting such a reply marks the flow "rejected by
/// the client"; ICMP is rate-limited, so not every reply needs one. Memory is bounded: flows idle for longer than the
/// window are swept, and the table has a size cap.
/// </summary>
public sealed class FlowAnalyzer
{
    private const long DuplicateWindowNanoseconds = 1_000_000;
    private const int RecentPackets = 8;
    private const int MaxRequestsPerClient = 8;

    /// <summary>TFTP servers answer from a fresh port by design (RFC 1350 transfer identifiers): not an SNAT remap.</summary>
    private const ushort TftpPort = 69;

    private readonly long _windowNanoseconds;
    private readonly int _maxClients;
    private readonly int _maxFindings;
    private readonly Dictionary<FlowEndpoint, ClientState> _clients = [];
    private readonly Dictionary<(FlowEndpoint Client, FlowEndpoint Server), Finding> _findings = [];
    private readonly Dictionary<FlowEndpoint, Finding> _latestByClient = [];
    private readonly List<Finding> _ordered = [];
    private readonly (DecodedPacket Packet, long Time)[] _recent = new (DecodedPacket, long)[RecentPackets];
    private int _recentNext;
    private long _latest = long.MinValue;
    private long _lastSweep = long.MinValue;

    public FlowAnalyzer(TimeSpan window, int maxClients = 100_000, int maxFindings = 10_000)
    {
        if (window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(window), "the correlation window must be positive");
        }

        _windowNanoseconds = window.Ticks * 100;
        _maxClients = maxClients;
        _maxFindings = maxFindings;
    }

    /// <summary>Findings in the order they were first seen.</summary>
    public IReadOnlyList<Finding> Findings => _ordered;

    public AnalysisSummary Summary { get; } = new();

    /// <summary>Client endpoints currently tracked (bounded by the window and the size cap).</summary>
    public int TrackedClients => _clients.Count;

    /// <summary>Feeds one captured packet; returns what changed (usually nothing).</summary>
    public FindingEvent? Observe(long frame, long timestampNanoseconds, DecodedPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        Summary.Packets++;
        Summary.FirstTimestampNanoseconds ??= timestampNanoseconds;
        Summary.LastTimestampNanoseconds = timestampNanoseconds;
        if (packet.Kind is not (PacketKind.Udp or PacketKind.PortUnreachable) || IsDuplicate(packet, timestampNanoseconds))
        {
            return null;
        }

        _latest = Math.Max(_latest, timestampNanoseconds);
        SweepIfDue();
        var mark = new FrameMark(frame, timestampNanoseconds);
        if (packet.Kind == PacketKind.PortUnreachable)
        {
            Summary.PortUnreachables++;
            return ObserveRejection(packet, mark);
        }

        Summary.UdpDatagrams++;
        var source = new FlowEndpoint(packet.Source!, packet.SourcePort);
        var destination = new FlowEndpoint(packet.Destination!, packet.DestinationPort);
        return ObserveReply(source, destination, mark, out FindingEvent? change) ? change : ObserveRequest(source, destination, mark);
    }

    /// <summary>Treats the datagram as an answer to a request <paramref name="destination"/> made; false if it made none.</summary>
    private bool ObserveReply(FlowEndpoint source, FlowEndpoint destination, FrameMark mark, out FindingEvent? change)
    {
        change = null;
        if (!_clients.TryGetValue(destination, out ClientState? client))
        {
            return false;
        }

        Request? mismatched = null;
        FindingKind kind = FindingKind.UnexpectedSource;
        foreach (Request request in client.Requests)
        {
            if (mark.TimestampNanoseconds - request.Last.TimestampNanoseconds > _windowNanoseconds)
            {
                continue;
            }

            if (request.Server == source)
            {
                if (_findings.TryGetValue((destination, source), out Finding? finding))
                {
                    finding.GoodReplies++;
                }

                return true;
            }

            if (mismatched is null && request.Server.Port == source.Port && !request.Server.Address.Equals(source.Address))
            {
                mismatched = request;
                kind = FindingKind.UnexpectedSource;
            }
            else if (mismatched is null && request.Server.Address.Equals(source.Address) && request.Server.Port != source.Port &&
                     request.Server.Port != TftpPort)
            {
                mismatched = request;
                kind = FindingKind.UnexpectedPort;
            }
        }

        if (mismatched is null)
        {
            return false;
        }

        client.Last = mark.TimestampNanoseconds;
        change = RecordBadReply(kind, destination, mismatched, source, mark);
        return true;
    }

    private FindingEvent? RecordBadReply(FindingKind kind, FlowEndpoint client, Request request, FlowEndpoint replySource, FrameMark mark)
    {
        if (_findings.TryGetValue((client, request.Server), out Finding? finding))
        {
            finding.BadReplies++;
            finding.LastBadReply = mark;
            _latestByClient[client] = finding;
            return null;
        }

        if (_findings.Count >= _maxFindings)
        {
            Summary.UnlistedBadReplies++;
            return null;
        }

        finding = new Finding(kind, client, request.Server, replySource, request.First, request.Count, mark);
        _findings.Add((client, request.Server), finding);
        _latestByClient[client] = finding;
        _ordered.Add(finding);
        return new FindingEvent(FindingEventKind.NewFinding, finding);
    }

    private FindingEvent? ObserveRequest(FlowEndpoint source, FlowEndpoint destination, FrameMark mark)
    {
        if (destination.IsGroupAddress)
        {
            return null;
        }

        if (!_clients.TryGetValue(source, out ClientState? client))
        {
            EnsureRoom();
            client = new ClientState();
            _clients.Add(source, client);
        }

        client.Last = mark.TimestampNanoseconds;
        Request? request = client.Requests.Find(r => r.Server == destination);
        if (request is null)
        {
            if (client.Requests.Count >= MaxRequestsPerClient)
            {
                client.Requests.RemoveAt(0);
            }

            request = new Request(destination, mark);
            client.Requests.Add(request);
            Summary.Flows++;
        }
        else
        {
            request.Count++;
            request.Last = mark;
        }

        if (_findings.TryGetValue((source, destination), out Finding? finding))
        {
            finding.Requests++;
        }

        return null;
    }

    /// <summary>
    /// An ICMP port unreachable from C:c quoting a datagram sent to C:c, shortly after a wrong reply to C:c, is the client
    /// rejecting it. Matched by the client endpoint, not the quoted source: when SNAT is involved the kernel rewrites the
    /// quoted header back to the pre-NAT tuple. A quoted datagram from the server's own endpoint (a correct reply the client
    /// no longer wanted) does not count.
    /// </summary>
    private FindingEvent? ObserveRejection(DecodedPacket icmp, FrameMark mark)
    {
        var rejectedSource = new FlowEndpoint(icmp.QuotedSource!, icmp.QuotedSourcePort);
        var client = new FlowEndpoint(icmp.QuotedDestination!, icmp.QuotedDestinationPort);
        if (!_latestByClient.TryGetValue(client, out Finding? finding) ||
            rejectedSource == finding.Server ||
            mark.TimestampNanoseconds - finding.LastBadReply.TimestampNanoseconds > _windowNanoseconds)
        {
            return null;
        }

        finding.Rejections++;
        if (finding.FirstRejection is null)
        {
            finding.FirstRejection = mark;
            return new FindingEvent(FindingEventKind.FirstRejection, finding);
        }

        return null;
    }

    /// <summary>
    /// The same packet seen twice within a millisecond (a bridge and its port, lo in and out) counts once. "The same"
    /// includes <see cref="DecodedPacket.Fingerprint"/> (IPv4 identification, checksum and payload), so distinct
    /// datagrams that share addresses, ports and length — a busy flow — are all counted.
    /// </summary>
    private bool IsDuplicate(DecodedPacket packet, long time)
    {
        foreach ((DecodedPacket previous, long previousTime) in _recent)
        {
            if (previous is not null && Math.Abs(time - previousTime) <= DuplicateWindowNanoseconds && previous == packet)
            {
                Summary.Duplicates++;
                return true;
            }
        }

        _recent[_recentNext] = (packet, time);
        _recentNext = (_recentNext + 1) % RecentPackets;
        return false;
    }

    /// <summary>Drops client state idle for longer than the window, at most once per window of capture time.</summary>
    private void SweepIfDue()
    {
        if (_lastSweep != long.MinValue && _latest - _lastSweep < _windowNanoseconds)
        {
            return;
        }

        _lastSweep = _latest;
        long cutoff = _latest - _windowNanoseconds;
        foreach (KeyValuePair<FlowEndpoint, ClientState> entry in _clients)
        {
            if (entry.Value.Last < cutoff)
            {
                _clients.Remove(entry.Key);
            }
        }
    }

    /// <summary>Keeps the table under its cap by dropping the quarter of clients idle the longest.</summary>
    private void EnsureRoom()
    {
        if (_clients.Count < _maxClients)
        {
            return;
        }

        FlowEndpoint[] oldest = [.. _clients.OrderBy(e => e.Value.Last).Take(Math.Max(1, _maxClients / 4)).Select(e => e.Key)];
        foreach (FlowEndpoint key in oldest)
        {
            _clients.Remove(key);
        }

        Summary.FlowsEvicted += oldest.Length;
    }

    /// <summary>What one client endpoint asked recently.</summary>
    private sealed class ClientState
    {
        public List<Request> Requests { get; } = new(2);

        public long Last { get; set; }
    }

    /// <summary>Requests from one client endpoint to one server endpoint.</summary>
    private sealed class Request(FlowEndpoint server, FrameMark first)
    {
        public FlowEndpoint Server { get; } = server;

        public FrameMark First { get; } = first;

        public FrameMark Last { get; set; } = first;

        public int Count { get; set; } = 1;
    }
}
