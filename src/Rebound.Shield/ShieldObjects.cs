using System.Net.Sockets;
using Rebound.Shield.Interop;
using Rebound.Shield.Kernel;
using Rebound.Shield.Programs;

namespace Rebound.Shield;

/// <summary>The two maps and three programs of one shield, loaded but not attached.</summary>
internal sealed class ShieldObjects : IDisposable
{
    private ShieldObjects(BpfMap addresses, BpfMap counters, BpfProgram ingress, BpfProgram send4, BpfProgram send6)
    {
        Addresses = addresses;
        Counters = counters;
        Ingress = ingress;
        SendIpv4 = send4;
        SendIpv6 = send6;
    }

    public BpfMap Addresses { get; }

    public BpfMap Counters { get; }

    public BpfProgram Ingress { get; }

    public BpfProgram SendIpv4 { get; }

    public BpfProgram SendIpv6 { get; }

    /// <summary>(program, hook, pin name) for each attachment, in attach order: ingress first, so no reply precedes its recording.</summary>
    public IEnumerable<(BpfProgram Program, BpfAttachType Hook, string Name)> Attachments =>
    [
        (Ingress, BpfAttachType.CgroupInetIngress, "ingress"),
        (SendIpv4, BpfAttachType.CgroupUdp4SendMessage, "sendmsg4"),
        (SendIpv6, BpfAttachType.CgroupUdp6SendMessage, "sendmsg6"),
    ];

    public static ShieldObjects Load(int capacity)
    {
        if (capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the address map needs at least one entry");
        }

        var disposables = new List<IDisposable>();
        try
        {
            var addresses = Track(BpfMap.Create(BpfMapType.LruHash, ShieldMapLayout.KeySize, ShieldMapLayout.ValueSize, capacity, ShieldMapLayout.AddressMapName));
            var counters = Track(BpfMap.Create(BpfMapType.PerCpuArray, 4, ShieldMapLayout.CounterSize, ShieldMapLayout.CounterSlots, ShieldMapLayout.CounterMapName));
            int a = addresses.Fd.Value, c = counters.Fd.Value;
            var ingress = Track(BpfProgram.Load(BpfProgramType.CgroupSkb, BpfAttachType.CgroupInetIngress, IngressProgram.Build(a, c), "rb_ingress"));
            var send4 = Track(BpfProgram.Load(BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUdp4SendMessage, SendMessageProgram.Build(AddressFamily.InterNetwork, a, c), "rb_sendmsg4"));
            var send6 = Track(BpfProgram.Load(BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUdp6SendMessage, SendMessageProgram.Build(AddressFamily.InterNetworkV6, a, c), "rb_sendmsg6"));
            return new ShieldObjects(addresses, counters, ingress, send4, send6);
        }
        catch
        {
            foreach (var d in disposables)
            {
                d.Dispose();
            }

            throw;
        }

        T Track<T>(T item)
            where T : IDisposable
        {
            disposables.Add(item);
            return item;
        }
    }

    public void Dispose()
    {
        Ingress.Dispose();
        SendIpv4.Dispose();
        SendIpv6.Dispose();
        Addresses.Dispose();
        Counters.Dispose();
    }
}
