using CsCheck;
using Rebound.Proxy;

namespace Rebound.Proxy.Tests;

/// <summary>The flow table's bookkeeping: limits, per-client caps and expiry, checked against a plain model.</summary>
public sealed class FlowTableTests
{
    private static FlowKey Key(int client, int port, int local) => new(
        UdpEndPoint.FromIPv4([192, 0, 2, (byte)(10 + client)], (ushort)(40000 + port)),
        UdpEndPoint.FromIPv4([198, 51, 100, (byte)(13 + local)], 6088));

    [Fact]
    public void The_local_address_is_part_of_the_key_and_the_client_port_too()
    {
        var table = new FlowTable<FlowEntry>(new FlowLimits());
        table.Add(new FlowEntry(Key(0, 0, 0)), 0);
        Assert.Equal(FlowAdmission.Admitted, table.CheckAdmission(Key(0, 0, 1)));
        Assert.Equal(FlowAdmission.Admitted, table.CheckAdmission(Key(0, 1, 0)));
        Assert.True(table.TryGet(Key(0, 0, 0), out _));
        Assert.False(table.TryGet(Key(0, 0, 1), out _));
    }

    [Fact]
    public void An_IPv4_client_and_its_v4_mapped_form_share_one_per_client_count()
    {
        var table = new FlowTable<FlowEntry>(new FlowLimits { MaxFlowsPerClient = 1 });
        FlowKey v4 = Key(0, 0, 0);
        table.Add(new FlowEntry(v4), 0);
        var mapped = new FlowKey(v4.Client.MapToIPv6().WithPort(1), v4.Local.MapToIPv6());
        Assert.Equal(FlowAdmission.ClientLimit, table.CheckAdmission(mapped));
    }

    [Fact]
    public void Answered_and_one_way_flows_expire_on_their_own_timeouts()
    {
        var table = new FlowTable<FlowEntry>(new FlowLimits { IdleTimeout = TimeSpan.FromSeconds(1), OneWayIdleTimeout = TimeSpan.FromSeconds(5) });
        var answered = new FlowEntry(Key(0, 0, 0));
        var oneWay = new FlowEntry(Key(1, 0, 0));
        table.Add(answered, 0);
        table.Add(oneWay, 0);
        answered.Answered = true;

        var expired = new List<FlowEntry>();
        table.RemoveExpired(999, expired);
        Assert.Empty(expired);
        table.RemoveExpired(1000, expired);
        Assert.Equal([answered], expired);
        table.RemoveExpired(4999, expired);
        Assert.Single(expired);
        table.RemoveExpired(5000, expired);
        Assert.Equal([answered, oneWay], expired);
        Assert.Equal(0, table.Count);
    }

    /// <summary>One step of a random workload: a datagram from (client, port) to a local address, possibly answered, after some time.</summary>
    private readonly record struct Step(int Client, int Port, int Local, bool Reply, int Advance, bool Sweep);

    [Fact]
    public void Random_workloads_never_exceed_the_limits_and_expire_exactly_the_idle_flows()
    {
        Gen<FlowLimits> limits = Gen.Select(Gen.Int[1, 8], Gen.Int[1, 4], Gen.Int[50, 500], Gen.Int[50, 1500], (max, perClient, idle, oneWay) =>
            new FlowLimits
            {
                MaxFlows = max,
                MaxFlowsPerClient = perClient,
                IdleTimeout = TimeSpan.FromMilliseconds(idle),
                OneWayIdleTimeout = TimeSpan.FromMilliseconds(oneWay),
            });
        Gen<Step> step = Gen.Select(Gen.Int[0, 4], Gen.Int[0, 5], Gen.Int[0, 2], Gen.Bool, Gen.Int[0, 200], Gen.Int[0, 3], (c, p, l, r, a, s) =>
            new Step(c, p, l, r, a, s == 0));

        Gen.Select(limits, step.Array[1, 120]).Sample((l, steps) =>
        {
            var table = new FlowTable<FlowEntry>(l);
            var model = new Dictionary<FlowKey, (long Last, bool Answered)>();
            long idle = (long)l.IdleTimeout.TotalMilliseconds;
            long oneWay = (long)l.OneWayIdleTimeout.TotalMilliseconds;
            long now = 0;
            var expired = new List<FlowEntry>();
            foreach (Step s in steps)
            {
                now += s.Advance;
                FlowKey key = Key(s.Client, s.Port, s.Local);
                if (!table.TryGet(key, out FlowEntry? flow))
                {
                    int fromClient = model.Keys.Count(k => k.Client.HasSameAddress(key.Client));
                    FlowAdmission expected = model.Count >= l.MaxFlows ? FlowAdmission.TableFull
                        : fromClient >= l.MaxFlowsPerClient ? FlowAdmission.ClientLimit
                        : FlowAdmission.Admitted;
                    Assert.Equal(expected, table.CheckAdmission(key));
                    if (expected != FlowAdmission.Admitted)
                    {
                        continue;
                    }

                    flow = new FlowEntry(key);
                    table.Add(flow, now);
                    model[key] = (now, false);
                }

                Assert.True(model.ContainsKey(key));
                flow.LastActivity = now;
                flow.Answered |= s.Reply;
                model[key] = (now, model[key].Answered || s.Reply);

                if (s.Sweep)
                {
                    expired.Clear();
                    table.RemoveExpired(now, expired);
                    var shouldExpire = model.Where(m => now - m.Value.Last >= (m.Value.Answered ? idle : oneWay)).Select(m => m.Key).ToHashSet();
                    Assert.True(shouldExpire.SetEquals(expired.Select(e => e.Key)));
                    foreach (FlowKey gone in shouldExpire)
                    {
                        model.Remove(gone);
                    }
                }

                Assert.Equal(model.Count, table.Count);
                Assert.True(table.Count <= l.MaxFlows);
                for (int c = 0; c <= 4; c++)
                {
                    UdpEndPoint client = Key(c, 0, 0).Client;
                    int count = table.CountFor(client);
                    Assert.True(count <= l.MaxFlowsPerClient);
                    Assert.Equal(model.Keys.Count(k => k.Client.HasSameAddress(client)), count);
                }
            }
        });
    }
}
