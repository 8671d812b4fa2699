using System.Net;
using System.Net.Sockets;

namespace Rebound.Proxy;

/// <summary>The upstream side of the event loop: a flow's connected socket to its backend, opened, read and closed.</summary>
internal sealed partial class ProxyLoop
{
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
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> payload = _received.Payload(i);
            bytes += payload.Length;
            _transmit.AddReply(flow.Request, payload);
        }

        if (_fronts[flow.Front].SendBatch(_transmit) == count)
        {
            _counters.ToClient(count, bytes);
            return;
        }

        bool sourceGone = false;
        for (int i = 0; i < count; i++)
        {
            SocketError error = _transmit.Error(i);
            if (error == SocketError.Success)
            {
                _counters.ToClient(1, _received.Datagram(i).Length);
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
}
