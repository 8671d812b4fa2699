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

            if (IsReflection(datagram.RemoteEndPoint))
            {
                Drop(DropReason.Reflected, ReflectedReason);
                continue;
            }

            var key = new FlowKey(datagram.RemoteEndPoint, datagram.LocalEndPoint);
            if (_table.TryGet(key, out ProxyFlow flow) || TryOpenFlow(key, datagram, index, out flow))
            {
                flow.LastActivity = _now;
                _batchFlows[i] = flow;
            }
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

    private bool TryOpenFlow(in FlowKey key, in ReceivedDatagram datagram, int front, out ProxyFlow flow)
    {
        flow = null!;
        FlowAdmission admission = _table.CheckAdmission(key);
        if (admission != FlowAdmission.Admitted)
        {
            _counters.Refused(admission);
            // Refusals are what a flood looks like: the reasons are built once, so refusing allocates nothing.
            _refusedLog!.Report(_now, admission == FlowAdmission.TableFull ? _tableFullReason : _clientLimitReason);
            return false;
        }

        IPEndPoint backend = _options.Backends[BackendSelector.Pick(key.Client, _options.Backends.Count)];
        Socket? upstream = null;
        try
        {
            upstream = new Socket(backend.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            upstream.Connect(backend);
            upstream.Blocking = false;
            int slot = _freeSlots.Pop();
            flow = new ProxyFlow(key, datagram, front, upstream, slot);
            _epoll!.Add(flow.UpstreamFd, (ulong)slot);
            _slots[slot] = flow;
            _table.Add(flow, _now);
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            if (flow is not null)
            {
                _freeSlots.Push(flow.Slot);
            }

            upstream?.Dispose();
            Drop(DropReason.UpstreamOpenFailed, $"cannot open a socket to backend {backend}: {e.Message}");
            return false;
        }

        _counters.FlowOpened();
        // Unmapped (127.0.0.1:46834, not [::ffff:127.0.0.1]:46834): the endpoint form of every rebound output (docs/output.md).
        ProxyLog.FlowOpened(_logger, key.Client.MapToIPv4(), key.Local.MapToIPv4(), backend.ToString());
        return true;
    }

    /// <summary>Sends one flow's datagrams of the front batch to its backend, in arrival order (one sendmmsg).</summary>
    private void Forward(ProxyFlow flow, ReadOnlySpan<int> indices)
    {
        foreach (int i in indices)
        {
            _transmit.Add(_received.Payload(i));
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
        bool refused = false;
        for (int k = 0; k < indices.Length; k++)
        {
            SocketError error = _transmit.Error(k);
            if (error == SocketError.Success)
            {
                _counters.ToBackend(_received.Datagram(indices[k]).Length);
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

    /// <summary>Reads a batch of the backend's replies on one flow and sends them to the client from the address it targeted.</summary>
    private void ReadUpstream(int slot)
    {
        ProxyFlow? flow = _slots[slot];
        if (flow is null)
        {
            return;
        }

        int count;
        try
        {
            count = flow.Upstream.TryReceiveBatch(_received);
        }
        catch (SocketException e)
        {
            Close(flow, e.SocketErrorCode == SocketError.ConnectionRefused ? FlowCloseReason.BackendRefused : FlowCloseReason.Error);
            return;
        }

        if (count == 0)
        {
            return;
        }

        flow.LastActivity = _now;
        flow.Answered = true;
        AddOutstanding(flow, -count);
        // The library's batched send: each reply to the client from the address it asked, with the library's
        // partial-send policy (resend what the kernel did not take, skip and report what it refused, wait out a full
        // send buffer); counted in the "Rebound" meter of the front socket.
        for (int i = 0; i < count; i++)
        {
            _transmit.AddReply(flow.Request, _received.Payload(i));
        }

        _fronts[flow.Front].SendBatch(_transmit);
        bool sourceGone = false;
        for (int i = 0; i < count; i++)
        {
            SocketError error = _transmit.Error(i);
            if (error == SocketError.Success)
            {
                _counters.ToClient(_received.Datagram(i).Length);
            }
            else if (error is SocketError.InvalidArgument or SocketError.AddressNotAvailable or SocketError.NetworkUnreachable)
            {
                sourceGone = true;
                Drop(DropReason.SourceUnavailable, $"cannot reply from {flow.Request.ReplySource.ToString("a", null)}: the address is no longer available ({error})");
            }
            else
            {
                Drop(DropReason.SendFailed, $"replying to {flow.Key.Client} failed: {error}");
            }
        }

        if (sourceGone)
        {
            Close(flow, FlowCloseReason.SourceUnavailable);
        }
    }

    /// <summary>
    /// Counts datagrams forwarded (positive) or answered (negative) on a flow, and keeps <see cref="_awaitingReplies"/>
    /// the number of flows with a datagram still unanswered: a stop drains until it is 0 (or the deadline passes).
    /// </summary>
    private void AddOutstanding(ProxyFlow flow, int change)
    {
        bool before = flow.Outstanding > 0;
        flow.Outstanding = Math.Max(0, flow.Outstanding + change);
        bool after = flow.Outstanding > 0;
        if (before != after)
        {
            _awaitingReplies += after ? 1 : -1;
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

    private void ExpireIdleFlows()
    {
        _expired.Clear();
        _table.RemoveExpired(_now, _expired);
        foreach (ProxyFlow flow in _expired)
        {
            Release(flow, FlowCloseReason.Idle);
        }

        _expired.Clear();
    }

    private void Close(ProxyFlow flow, FlowCloseReason reason)
    {
        if (_table.Remove(flow))
        {
            Release(flow, reason);
        }
    }

    /// <summary>Frees a flow already removed from the table: its epoll entry, its socket and its slot.</summary>
    private void Release(ProxyFlow flow, FlowCloseReason reason)
    {
        AddOutstanding(flow, -flow.Outstanding);
        _epoll!.Remove(flow.UpstreamFd);
        flow.Upstream.Dispose();
        _slots[flow.Slot] = null;
        _freeSlots.Push(flow.Slot);
        _counters.FlowClosed(reason);
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
