using System.Globalization;
using System.Text;

namespace Rebound.Cli.Output;

/// <summary>
/// Where <c>listen</c> and <c>connect</c> write what happens: by default the peer's payload, byte for byte (as nc), or
/// with <c>--json</c> one <see cref="PeerEventJson"/> line per event and a <see cref="PeerSummaryJson"/> at the end
/// (docs/output.md). Thread-safe: the receiving loop and the input loop report at the same time.
/// </summary>
internal abstract class PeerOutput
{
    /// <summary>The nc-style output for <paramref name="stdout"/>, or the JSON lines one when <paramref name="json"/>.</summary>
    public static PeerOutput For(bool json, Stream stdout, string protocol) =>
        json ? new JsonPeerOutput(stdout, protocol) : new PayloadPeerOutput(stdout);

    /// <summary>The socket is bound (listen) or connected (connect) at <paramref name="local"/>.</summary>
    public abstract void Ready(string @event, string local, string? server);

    /// <summary>A datagram (or, for TCP, a piece of the stream) came in.</summary>
    public abstract void Received(ReadOnlySpan<byte> payload, PeerEnds ends);

    /// <summary>A datagram (or a line of the TCP stream) is about to go out (reported first, so a reply never precedes it).</summary>
    public abstract void Sent(ReadOnlySpan<byte> payload, PeerEnds ends);

    /// <summary>Something stopped the exchange or rejected it (the message is on stderr too).</summary>
    public abstract void Error(string message, PeerEnds ends);

    /// <summary>The totals, once, when the command ends.</summary>
    public abstract void Summary();
}

/// <summary>
/// The endpoints of one event, already in the output vocabulary (<c>EndpointText</c>): <c>client</c>, <c>server</c> (the
/// address the client asked), <c>replySource</c> (where a reply left from or came from; null when unknown, as for
/// <c>listen --naive</c>), and the interface a datagram arrived on.
/// </summary>
internal readonly record struct PeerEnds(string? Client, string? Server, string? ReplySource = null, string? Interface = null);

/// <summary>nc behaviour: only received payloads reach stdout, unchanged.</summary>
internal sealed class PayloadPeerOutput(Stream stdout) : PeerOutput
{
    private readonly Lock _gate = new();

    public override void Ready(string @event, string local, string? server)
    {
    }

    public override void Received(ReadOnlySpan<byte> payload, PeerEnds ends)
    {
        lock (_gate)
        {
            stdout.Write(payload);
            stdout.Flush();
        }
    }

    public override void Sent(ReadOnlySpan<byte> payload, PeerEnds ends)
    {
    }

    public override void Error(string message, PeerEnds ends)
    {
    }

    public override void Summary()
    {
    }
}

/// <summary><c>--json</c>: one line per event; the payload as UTF-8 <c>text</c> (null when it is not UTF-8) and as <c>base64</c>.</summary>
internal sealed class JsonPeerOutput(Stream stdout, string protocol) : PeerOutput
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Lock _gate = new();
    private long _received, _sent, _bytesReceived, _bytesSent;

    public override void Ready(string @event, string local, string? server) =>
        Write(new PeerEventJson(JsonOutput.SchemaVersion, @event, Now(), protocol, local, null, server, null, null, null, null, null, null));

    public override void Received(ReadOnlySpan<byte> payload, PeerEnds ends)
    {
        Interlocked.Increment(ref _received);
        Interlocked.Add(ref _bytesReceived, payload.Length);
        Write(Payload("received", payload, ends));
    }

    public override void Sent(ReadOnlySpan<byte> payload, PeerEnds ends)
    {
        Interlocked.Increment(ref _sent);
        Interlocked.Add(ref _bytesSent, payload.Length);
        Write(Payload("sent", payload, ends));
    }

    public override void Error(string message, PeerEnds ends) =>
        Write(new PeerEventJson(JsonOutput.SchemaVersion, "error", Now(), protocol, null, ends.Client, ends.Server, ends.ReplySource, ends.Interface, null, null, null, message));

    public override void Summary()
    {
        lock (_gate)
        {
            JsonOutput.WriteLine(stdout, new PeerSummaryJson(
                JsonOutput.SchemaVersion, "summary", Now(), protocol,
                Interlocked.Read(ref _received), Interlocked.Read(ref _sent), Interlocked.Read(ref _bytesReceived), Interlocked.Read(ref _bytesSent)));
        }
    }

    private PeerEventJson Payload(string @event, ReadOnlySpan<byte> payload, PeerEnds ends) => new(
        JsonOutput.SchemaVersion, @event, Now(), protocol, null, ends.Client, ends.Server, ends.ReplySource, ends.Interface,
        payload.Length, Text(payload), Convert.ToBase64String(payload), null);

    private void Write(PeerEventJson value)
    {
        lock (_gate)
        {
            JsonOutput.WriteLine(stdout, value);
        }
    }

    private static string? Text(ReadOnlySpan<byte> payload)
    {
        try
        {
            return StrictUtf8.GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static string Now() => DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);
}

/// <summary>
/// One <c>listen --json</c> / <c>connect --json</c> event: <c>listening</c> or <c>connected</c> (with <c>local</c>),
/// <c>received</c> and <c>sent</c> (with the endpoints, <c>bytes</c> and the payload), <c>error</c> (with <c>error</c>).
/// Fields an event does not have are null.
/// </summary>
internal sealed record PeerEventJson(
    int SchemaVersion,
    string Event,
    string Time,
    string Protocol,
    string? Local,
    string? Client,
    string? Server,
    string? ReplySource,
    string? Interface,
    int? Bytes,
    string? Text,
    string? Base64,
    string? Error);

/// <summary>The last <c>listen --json</c> / <c>connect --json</c> line: how many datagrams (TCP: pieces) and bytes went each way.</summary>
internal sealed record PeerSummaryJson(
    int SchemaVersion,
    string Event,
    string Time,
    string Protocol,
    long Received,
    long Sent,
    long BytesReceived,
    long BytesSent);
