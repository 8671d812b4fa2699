namespace Rebound.Capture.Analysis;

/// <summary>What went wrong with a flow's replies.</summary>
public enum FindingKind
{
    /// <summary>The reply came from another address than the request went to (the wildcard-socket bug).</summary>
    UnexpectedSource,

    /// <summary>The reply came from the right address but another port (SNAT remapped the port after a conntrack clash).</summary>
    UnexpectedPort,
}

/// <summary>A packet's place in the capture: Wireshark's 1-based frame number and its time (ns since the Unix epoch).</summary>
public readonly record struct FrameMark(long Frame, long TimestampNanoseconds);

/// <summary>
/// One flow (client endpoint → server endpoint) whose replies did not come back from where the request went, with the
/// evidence: the first request, the first and last wrong reply, and whether the client rejected them (ICMP port
/// unreachable quoting the reply). One finding per flow however many packets it spans.
/// </summary>
public sealed class Finding
{
    public Finding(FindingKind kind, FlowEndpoint client, FlowEndpoint server, FlowEndpoint replySource, FrameMark firstRequest, int requestsBefore, FrameMark firstBadReply)
    {
        Kind = kind;
        Client = client;
        Server = server;
        ReplySource = replySource;
        FirstRequest = firstRequest;
        Requests = requestsBefore;
        FirstBadReply = firstBadReply;
        LastBadReply = firstBadReply;
        BadReplies = 1;
    }

    public FindingKind Kind { get; }

    /// <summary>Who sent the request (C:c).</summary>
    public FlowEndpoint Client { get; }

    /// <summary>Where the request went (S:s).</summary>
    public FlowEndpoint Server { get; }

    /// <summary>Where the first wrong reply came from (X:s or S:s').</summary>
    public FlowEndpoint ReplySource { get; }

    public FrameMark FirstRequest { get; }

    public FrameMark FirstBadReply { get; }

    public FrameMark LastBadReply { get; internal set; }

    /// <summary>The first ICMP port unreachable quoting a wrong reply, if any was captured.</summary>
    public FrameMark? FirstRejection { get; internal set; }

    public int Requests { get; internal set; }

    public int BadReplies { get; internal set; }

    /// <summary>Replies that did come from the server's endpoint (a mix means only some paths are wrong).</summary>
    public int GoodReplies { get; internal set; }

    public int Rejections { get; internal set; }

    /// <summary>True once the client was seen answering a wrong reply with ICMP port unreachable.</summary>
    public bool RejectedByClient => Rejections > 0;

    /// <summary>One sentence naming the failure.</summary>
    public string Describe() => Kind switch
    {
        FindingKind.UnexpectedSource =>
            $"reply from unexpected source {ReplySource}: {Client} asked {Server}, the answer came from {ReplySource.Address}",
        _ => $"reply from unexpected port {ReplySource}: {Client} asked {Server}, the answer came from port {ReplySource.Port} (SNAT remapped it)",
    } + (RejectedByClient ? $"; rejected by the client (ICMP port unreachable ×{Rejections})" : "");
}
