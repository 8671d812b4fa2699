using System.Net;
using System.Net.Sockets;

namespace Rebound.Proxy;

/// <summary>The event loop's body: the only code that touches this loop's flows and sockets once it runs.</summary>
internal sealed partial class ProxyLoop
{
    private const int DrainPollMilliseconds = 50;

    private const string ReflectedReason =
        "a datagram came from a backend's address and port, or from the proxy's own front address: not forwarded, " +
        "since the replies would loop (a spoofed source)";

    /// <summary>Datagrams per recvmmsg/sendmmsg.</summary>
    private const int BatchCapacity = 32;

    private readonly List<ProxyFlow> _expired = [];
    // Every datagram moves through the library's batched calls, with its one partial-send policy: on the front
    // ReboundSockets (TryReceiveBatch, SendBatch: the reply rule, counted in the "Rebound" meter) and on the connected
    // upstream sockets, plain sockets without pktinfo (SocketBatchExtensions). One loop thread uses each batch at a
    // time, and each is emptied before the next use: _received holds a front batch or an upstream batch, _transmit the
    // datagrams to one backend or the replies to one client.
    private readonly DatagramBatch _received = new(BatchCapacity, DatagramBatch.MaxBufferSize);
    private readonly TransmitBatch _transmit = new(BatchCapacity, DatagramBatch.MaxBufferSize);
    private readonly ProxyFlow?[] _batchFlows = new ProxyFlow?[BatchCapacity];
    private RateLimitedLog? _refusedLog;
    private RateLimitedLog? _droppedLog;
    private long _now;
    private int _awaitingReplies;

    private void RunLoop()
    {
        _refusedLog = new RateLimitedLog((n, why) => ProxyLog.Refused(_logger, n, why));
        _droppedLog = new RateLimitedLog((n, why) => ProxyLog.Dropped(_logger, n, why));
        Epoll epoll = _epoll!;
        long sweepEvery = SweepInterval(_options.Limits);
        _now = Environment.TickCount64;
        long nextSweep = _now + sweepEvery;
        bool draining = false;
        long drainDeadline = 0;
        try
        {
            while (true)
            {
                int timeout = (int)Math.Clamp(nextSweep - _now, 0, int.MaxValue);
                if (draining)
                {
                    timeout = Math.Min(timeout, DrainPollMilliseconds);
                }

                int events = epoll.Wait(timeout);
                _now = Environment.TickCount64;
                for (int i = 0; i < events; i++)
                {
                    ulong token = epoll.TokenAt(i);
                    if (token == Epoll.WakeToken)
                    {
                        epoll.ClearWake();
                    }
                    else if (IsFrontToken(token))
                    {
                        // Checked per event: once a stop is asked for, no further client datagram is read.
                        if (!_stopRequested)
                        {
                            ReadFront((int)(token - (ulong)_slots.Length));
                        }
                    }
                    else
                    {
                        ReadUpstream((int)token);
                    }
                }

                if (_now >= nextSweep)
                {
                    ExpireIdleFlows();
                    _refusedLog.Flush(_now);
                    _droppedLog.Flush(_now);
                    nextSweep = _now + sweepEvery;
                }

                if (_stopRequested && !draining)
                {
                    draining = true;
                    foreach (ReboundSocket front in _fronts)
                    {
                        epoll.Remove((int)front.Socket.SafeHandle.DangerousGetHandle());
                    }

                    drainDeadline = _now + (long)_options.DrainTimeout.TotalMilliseconds;
                }

                // Drained when every forwarded datagram has had its reply (or the deadline passed: one-way flows never answer).
                if (draining && (_awaitingReplies == 0 || _now >= drainDeadline))
                {
                    break;
                }
            }

            Shutdown();
            _completion.TrySetResult();
        }
        catch (Exception e) when (e is InvalidOperationException or SocketException or ObjectDisposedException)
        {
            Shutdown();
            _completion.TrySetException(new InvalidOperationException($"The proxy's event loop failed: {e.Message}", e));
        }
    }

    /// <summary>Reads what one front socket has queued, a few batches at most (then other sockets get their turn).</summary>
    private void ReadFront(int index)
    {
        for (int round = 0; round < 4 && ForwardFrontBatch(index) == BatchCapacity; round++)
        {
        }
    }

    /// <summary>Reads one batch from a front socket and forwards each datagram on its flow; returns how many were read.</summary>
    private int ForwardFrontBatch(int index)
    {
        ReboundSocket front = _fronts[index];
        int count;
        try
        {
            count = front.TryReceiveBatch(_received);
        }
        catch (SocketException e)
        {
            Drop(DropReason.ReceiveFailed, $"receiving on {front.LocalEndPoint} failed: {e.Message}");
            return 0;
        }

        // First find (or open) every datagram's flow, then send each run of datagrams for one flow with one sendmmsg.
        // A client's datagrams usually come in runs: a datagram with the previous one's key reuses its flow (a flow
        // cannot close while the batch is read, so the reference stays valid).
        ProxyFlow? previous = null;
        FlowKey previousKey = default;
        for (int i = 0; i < count; i++)
        {
            _batchFlows[i] = null;
            ref readonly ReceivedDatagram datagram = ref _received.Datagram(i);
            if (!datagram.CanReply)
            {
                Drop(DropReason.UnknownDestination, "no destination address (pktinfo) on the datagram, so no reply could leave from it");
                continue;
            }

            // The kernel gives a broadcast or multicast datagram to every loop's socket: only the first loop forwards it.
            if (datagram.IsBroadcastOrMulticast && !_answersGroups)
            {
                continue;
            }

            var key = new FlowKey(datagram.RemoteEndPoint, datagram.LocalEndPoint);
            if (previous is null || !key.Equals(previousKey))
            {
                previous = FindOrOpenFlow(key, datagram, index);
                previousKey = key;
            }

            _batchFlows[i] = previous;
        }

        // Each flow's datagrams, in arrival order, go out with one sendmmsg (flows may interleave in the batch).
        Span<int> indices = stackalloc int[BatchCapacity];
        for (int i = 0; i < count; i++)
        {
            ProxyFlow? flow = _batchFlows[i];
            if (flow is null)
            {
                continue;
            }

            int n = 0;
            for (int j = i; j < count; j++)
            {
                if (ReferenceEquals(_batchFlows[j], flow))
                {
                    indices[n++] = j;
                    _batchFlows[j] = null;
                }
            }

            Forward(flow, indices[..n]);
        }

        return count;
    }

    /// <summary>
    /// The flow of <paramref name="key"/>, opened if it is new and allowed; null when the datagram is dropped (a
    /// reflected source, a limit, no upstream socket), which is counted and logged.
    /// </summary>
    private ProxyFlow? FindOrOpenFlow(in FlowKey key, in ReceivedDatagram datagram, int front)
    {
        if (_table.TryGet(key, out ProxyFlow flow))
        {
            flow.LastActivity = _now;
            return flow;
        }

        // Checked before a flow opens: a reflected source never gets one, so every datagram from it comes here.
        if (IsReflection(key.Client))
        {
            Drop(DropReason.Reflected, ReflectedReason);
            return null;
        }

        return TryOpenFlow(key, datagram, front, out flow) ? flow : null;
    }

    /// <summary>Sends one flow's datagrams of the front batch to its backend, in arrival order (one sendmmsg).</summary>
    private void Forward(ProxyFlow flow, ReadOnlySpan<int> indices)
    {
        long bytes = 0;
        foreach (int i in indices)
        {
            ReadOnlySpan<byte> payload = _received.Payload(i);
            bytes += payload.Length;
            _transmit.Add(payload);
        }

        int sent;
        try
        {
            sent = flow.Upstream.SendBatch(_transmit);
        }
        catch (SocketException e)
        {
            Drop(DropReason.SendFailed, $"sending to the backend failed: {e.Message}");
            Close(flow, FlowCloseReason.Error);
            return;
        }

        AddOutstanding(flow, sent);
        if (sent == indices.Length)
        {
            _counters.ToBackend(sent, bytes);
            return;
        }

        bool refused = false;
        for (int k = 0; k < indices.Length; k++)
        {
            SocketError error = _transmit.Error(k);
            if (error == SocketError.Success)
            {
                _counters.ToBackend(1, _received.Datagram(indices[k]).Length);
            }
            else
            {
                // ConnectionRefused: an earlier datagram drew ICMP port unreachable, the backend is down. The flow is
                // closed below; a later datagram from this client opens a new one.
                refused |= error == SocketError.ConnectionRefused;
                Drop(error == SocketError.ConnectionRefused ? DropReason.BackendRefused : DropReason.SendFailed, $"sending to the backend failed: {error}");
            }
        }

        if (refused)
        {
            Close(flow, FlowCloseReason.BackendRefused);
        }
    }

    /// <summary>
    /// True for a datagram whose source is a backend, or this proxy's own front (a local address on a front port):
    /// forwarding it would start a loop no reply ever ends. Legitimate clients are neither.
    /// </summary>
    private bool IsReflection(UdpEndPoint source)
    {
        source = source.MapToIPv4();
        foreach (UdpEndPoint backend in _backends)
        {
            if (backend.Equals(source))
            {
                return true;
            }
        }

        foreach (ReboundSocket front in _fronts)
        {
            if (front.LocalEndPoint.Port == source.Port)
            {
                return _localAddresses.Cached(source, _now);
            }
        }

        return false;
    }

    private void Drop(DropReason reason, string why)
    {
        _counters.Dropped(reason);
        _droppedLog!.Report(_now, why);
    }

    private void Shutdown()
    {
        foreach (ProxyFlow flow in _table.All.ToList())
        {
            Close(flow, FlowCloseReason.Shutdown);
        }

        CloseFronts();
        _epoll?.Dispose();
        _received.Dispose();
        _transmit.Dispose();
    }

    /// <summary>How often idle flows are looked for: a quarter of the shorter timeout, between 10 ms and 1 s.</summary>
    private static long SweepInterval(FlowLimits limits)
    {
        double shorter = Math.Min(limits.IdleTimeout.TotalMilliseconds, limits.OneWayIdleTimeout.TotalMilliseconds);
        return (long)Math.Clamp(shorter / 4, 10, 1000);
    }
}
