namespace DnsResponder;

/// <summary>
/// Turns one request datagram into one reply, with no knowledge of sockets: the same responder runs behind the batched
/// <see cref="Rebound.ReboundServer"/>, a single <see cref="Rebound.ReboundSocket"/> loop and the naive loop
/// (<see cref="ServeMode"/>).
/// </summary>
internal interface IDatagramResponder
{
    /// <summary>
    /// Writes the reply to <paramref name="request"/> into <paramref name="reply"/> and returns its length, or 0 when the
    /// request must not be answered. Must not throw for any request bytes, and must not allocate.
    /// </summary>
    int Respond(ReadOnlySpan<byte> request, Span<byte> reply);
}
