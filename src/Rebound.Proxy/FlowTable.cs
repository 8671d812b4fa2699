namespace Rebound.Proxy;

/// <summary>Whether a new flow may be opened.</summary>
internal enum FlowAdmission
{
    Admitted,
    TableFull,
    ClientLimit,
}

/// <summary>
/// The proxy's flows by <see cref="FlowKey"/>, with the total and per-client-address caps and idle expiry. Pure
/// bookkeeping on a caller-supplied millisecond clock, so it can be tested without sockets or waiting. Not thread-safe:
/// the proxy's event loop is its only user.
/// </summary>
internal sealed class FlowTable<TFlow>(FlowLimits limits)
    where TFlow : FlowEntry
{
    private readonly Dictionary<FlowKey, TFlow> _flows = [];
    private readonly Dictionary<UdpEndPoint, int> _perClient = [];
    private readonly long _idleMs = (long)limits.IdleTimeout.TotalMilliseconds;
    private readonly long _oneWayMs = (long)limits.OneWayIdleTimeout.TotalMilliseconds;

    public FlowLimits Limits { get; } = limits;

    public int Count => _flows.Count;

    /// <summary>How many flows the client of <paramref name="client"/> (its address, or its IPv6 prefix) holds.</summary>
    public int CountFor(UdpEndPoint client) =>
        _perClient.TryGetValue(ClientOf(client), out int n) ? n : 0;

    /// <summary>
    /// What the per-client limit counts by: the address without the port, one form for both families, an IPv6 address
    /// cut to <see cref="FlowLimits.ClientPrefixLengthV6"/> bits.
    /// </summary>
    public UdpEndPoint ClientOf(UdpEndPoint client)
    {
        UdpEndPoint address = client.MapToIPv4().WithPort(0);
        int prefix = Limits.ClientPrefixLengthV6;
        if (address.IsIPv4 || prefix >= 128)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteAddressBytes(bytes, out _);
        bytes[prefix / 8] &= (byte)(0xFF << (8 - (prefix % 8)));
        bytes[((prefix / 8) + 1)..].Clear();
        return UdpEndPoint.FromIPv6(bytes, 0, address.ScopeId);
    }

    public bool TryGet(in FlowKey key, out TFlow flow) => _flows.TryGetValue(key, out flow!);

    /// <summary>Says whether a flow with <paramref name="key"/> may be added now (it must not exist yet).</summary>
    public FlowAdmission CheckAdmission(in FlowKey key) =>
        _flows.Count >= Limits.MaxFlows ? FlowAdmission.TableFull
        : CountFor(key.Client) >= Limits.MaxFlowsPerClient ? FlowAdmission.ClientLimit
        : FlowAdmission.Admitted;

    /// <summary>Adds a flow that <see cref="CheckAdmission"/> admitted, as active at <paramref name="now"/>.</summary>
    public void Add(TFlow flow, long now)
    {
        if (CheckAdmission(flow.Key) != FlowAdmission.Admitted)
        {
            throw new InvalidOperationException("The flow table is at a limit; check admission first.");
        }

        _flows.Add(flow.Key, flow);
        UdpEndPoint client = ClientOf(flow.Key.Client);
        _perClient[client] = _perClient.TryGetValue(client, out int n) ? n + 1 : 1;
        flow.LastActivity = now;
    }

    /// <summary>Removes <paramref name="flow"/>; false if it was not in the table.</summary>
    public bool Remove(TFlow flow)
    {
        if (!_flows.TryGetValue(flow.Key, out TFlow? held) || !ReferenceEquals(held, flow))
        {
            return false;
        }

        _flows.Remove(flow.Key);
        UdpEndPoint client = ClientOf(flow.Key.Client);
        int n = _perClient[client] - 1;
        if (n == 0)
        {
            _perClient.Remove(client);
        }
        else
        {
            _perClient[client] = n;
        }

        return true;
    }

    /// <summary>True when <paramref name="flow"/> has been idle past its timeout at <paramref name="now"/>.</summary>
    public bool IsExpired(TFlow flow, long now) =>
        now - flow.LastActivity >= (flow.Answered ? _idleMs : _oneWayMs);

    /// <summary>Removes every expired flow and appends it to <paramref name="expired"/> (which the caller reuses).</summary>
    public void RemoveExpired(long now, List<TFlow> expired)
    {
        int start = expired.Count;
        foreach (TFlow flow in _flows.Values)
        {
            if (IsExpired(flow, now))
            {
                expired.Add(flow);
            }
        }

        for (int i = start; i < expired.Count; i++)
        {
            Remove(expired[i]);
        }
    }

    /// <summary>Every flow, for shutdown.</summary>
    public IReadOnlyCollection<TFlow> All => _flows.Values;
}
