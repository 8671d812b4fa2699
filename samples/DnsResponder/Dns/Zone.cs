using System.Buffers.Binary;
using System.Net.Sockets;

namespace DnsResponder.Dns;

/// <summary>
/// The names one responder is authoritative for: an apex (<c>example.test</c>) with A and AAAA records from a hosts
/// file. Answer records are encoded once, at load, with their owner compressed to the question's name (offset 12), so
/// answering copies bytes. Lookups take a span key and allocate nothing.
/// </summary>
internal sealed class Zone
{
    private const int ARecordLength = 2 + 10 + 4;
    private const int AaaaRecordLength = 2 + 10 + 16;

    private readonly Dictionary<string, ZoneNode> _nodes;
    private readonly Dictionary<string, ZoneNode>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private Zone(string apex, Dictionary<string, ZoneNode> nodes, List<string> outside)
    {
        Apex = apex;
        _nodes = nodes;
        _lookup = nodes.GetAlternateLookup<ReadOnlySpan<char>>();
        NamesOutside = outside;
    }

    /// <summary>The zone's own name, lowercase, without a trailing dot.</summary>
    public string Apex { get; }

    /// <summary>Names from the hosts file that are not in this zone and so were left out.</summary>
    public IReadOnlyList<string> NamesOutside { get; }

    /// <summary>How many names have at least one address.</summary>
    public int NameCount => _nodes.Values.Count(n => n.HasAddresses);

    /// <summary>Builds the zone from hosts entries; entries outside <paramref name="apex"/> are listed in <see cref="NamesOutside"/>.</summary>
    public static Zone Create(string apex, IEnumerable<HostsEntry> entries)
    {
        var builders = new Dictionary<string, (List<byte[]> V4, List<byte[]> V6)>(StringComparer.Ordinal) { [apex] = ([], []) };
        var outside = new List<string>();
        foreach (HostsEntry entry in entries)
        {
            if (!DnsName.IsAtOrBelow(entry.Name, apex))
            {
                outside.Add(entry.Name);
                continue;
            }

            // The name and every name between it and the apex exist (empty non-terminals answer NODATA, not NXDOMAIN).
            for (string name = entry.Name; name.Length > apex.Length; name = name[(name.IndexOf('.', StringComparison.Ordinal) + 1)..])
            {
                builders.TryAdd(name, ([], []));
            }

            (List<byte[]> v4, List<byte[]> v6) = builders[entry.Name];
            byte[] address = entry.Address.GetAddressBytes();
            List<byte[]> list = entry.Address.AddressFamily == AddressFamily.InterNetwork ? v4 : v6;
            if (!list.Exists(a => a.AsSpan().SequenceEqual(address)))
            {
                list.Add(address);
            }
        }

        var nodes = new Dictionary<string, ZoneNode>(StringComparer.Ordinal);
        foreach ((string name, (List<byte[]> v4, List<byte[]> v6)) in builders)
        {
            nodes[name] = new ZoneNode(Encode(v4, DnsConstants.TypeA), v4.Count, Encode(v6, DnsConstants.TypeAaaa), v6.Count);
        }

        return new Zone(apex, nodes, outside);
    }

    /// <summary>True when <paramref name="key"/> (see <see cref="DnsName.WriteKey"/>) is the apex or below it.</summary>
    public bool Contains(ReadOnlySpan<char> key) => DnsName.IsAtOrBelow(key, Apex);

    /// <summary>The node for <paramref name="key"/>, or null when the name does not exist.</summary>
    public ZoneNode? Find(ReadOnlySpan<char> key) => _lookup.TryGetValue(key, out ZoneNode? node) ? node : null;

    /// <summary>True when <paramref name="key"/> is the apex itself.</summary>
    public bool IsApex(ReadOnlySpan<char> key) => key.SequenceEqual(Apex);

    private static byte[] Encode(List<byte[]> addresses, ushort type)
    {
        int recordLength = type == DnsConstants.TypeA ? ARecordLength : AaaaRecordLength;
        byte[] records = new byte[addresses.Count * recordLength];
        for (int i = 0; i < addresses.Count; i++)
        {
            Span<byte> record = records.AsSpan(i * recordLength, recordLength);
            BinaryPrimitives.WriteUInt16BigEndian(record, 0xC000 | DnsConstants.HeaderLength); // owner: the question's name
            BinaryPrimitives.WriteUInt16BigEndian(record[2..], type);
            BinaryPrimitives.WriteUInt16BigEndian(record[4..], DnsConstants.ClassIn);
            BinaryPrimitives.WriteUInt32BigEndian(record[6..], DnsConstants.Ttl);
            BinaryPrimitives.WriteUInt16BigEndian(record[10..], (ushort)addresses[i].Length);
            addresses[i].CopyTo(record[12..]);
        }

        return records;
    }
}

/// <summary>One existing name of a <see cref="Zone"/>: its A and AAAA answer records, ready to copy.</summary>
internal sealed class ZoneNode(byte[] aRecords, int aCount, byte[] aaaaRecords, int aaaaCount)
{
    public ReadOnlySpan<byte> ARecords => aRecords;

    public int ACount => aCount;

    public ReadOnlySpan<byte> AaaaRecords => aaaaRecords;

    public int AaaaCount => aaaaCount;

    public bool HasAddresses => aCount + aaaaCount > 0;
}
