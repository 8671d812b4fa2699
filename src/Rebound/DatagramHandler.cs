namespace Rebound;

/// <summary>
/// Answers one request for a <see cref="ReboundServer"/>: read <paramref name="request"/>, write the reply into
/// <paramref name="reply"/>, and return its length. Return 0 (or a negative number) to send no reply.
/// </summary>
/// <remarks>
/// Runs on the server's receive threads, several at once when the server has several sockets, so it must be
/// thread-safe; it should not block or allocate, since it sits on the hot path. A handler that throws, or returns more
/// than <c>reply.Length</c>, costs only that request: it is counted (<see cref="ReboundStatistics.HandlerErrors"/>),
/// reported to <see cref="ReboundServerOptions.OnError"/>, and not answered. The handler is never called for a
/// datagram that must not be answered (<see cref="ReceivedDatagram.CanReply"/> false) or that was truncated.
/// </remarks>
/// <param name="request">The request payload.</param>
/// <param name="reply">Where to write the reply (<see cref="ReboundServerOptions.BufferSize"/> bytes).</param>
/// <param name="datagram">Who sent the request and which local address it was sent to.</param>
/// <returns>The reply length in bytes, or 0 for no reply.</returns>
public delegate int DatagramHandler(ReadOnlySpan<byte> request, Span<byte> reply, in ReceivedDatagram datagram);
