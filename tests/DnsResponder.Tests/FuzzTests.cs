using System.Buffers.Binary;
using CsCheck;
using DnsResponder.Dns;
using DnsResponder.Tests.Support;

namespace DnsResponder.Tests;

/// <summary>
/// Property tests: random bytes, dig's real queries mutated, and well-formed queries checked against a model of the
/// zone. The responder must never throw, never write a malformed or oversized reply, never read past the request,
/// and never answer a datagram that is not a query.
/// </summary>
public sealed class FuzzTests
{
    private static readonly AuthoritativeResponder Responder = TestZone.Responder();

    /// <summary>A change to a seed query: overwrite, flip a bit, cut, insert, delete, or rewrite a section count.</summary>
    private sealed record Mutation(int Kind, int Position, byte Value);

    private static readonly Gen<Mutation> Mutations = Gen.Select(Gen.Int[0, 6], Gen.Int[0, 300], Gen.Byte, (k, p, v) => new Mutation(k, p, v));

    private static readonly Gen<byte[]> MutatedQueries = Gen.Select(
        Gen.OneOfConst(DigQueries.All), Mutations.Array[1, 6], (seed, mutations) => mutations.Aggregate(seed, Apply));

    [Fact]
    public void Random_bytes_never_crash_it_and_never_get_a_malformed_reply() =>
        Gen.Byte.Array[0, 700].Sample(CheckReply, iter: 50_000);

    [Fact]
    public void Random_bytes_behind_a_valid_header_never_crash_it() =>
        Gen.Select(Gen.UShort, Gen.Byte.Array[0, 300], (id, body) => (byte[])[.. DigQueries.WwwA.AsSpan(0, 2), .. BitConverter.GetBytes(id), .. body])
            .Sample(CheckReply, iter: 50_000);

    [Fact]
    public void Mutated_dig_queries_never_crash_it_and_never_get_a_malformed_reply() =>
        MutatedQueries.Sample(CheckReply, iter: 100_000);

    [Fact]
    public void It_never_reads_past_the_request()
    {
        // The same request, alone and followed by random bytes in a larger buffer, must get the identical reply.
        Gen.Select(MutatedQueries, Gen.Byte.Array[1, 64]).Sample((query, tail) =>
        {
            byte[] padded = [.. query, .. tail];
            byte[] alone = new byte[1232];
            byte[] withTail = new byte[1232];
            int a = Responder.Respond(query, alone);
            int b = Responder.Respond(padded.AsSpan(0, query.Length), withTail);
            Assert.Equal(alone.AsSpan(0, a).ToArray(), withTail.AsSpan(0, b).ToArray());
        }, iter: 20_000);
    }

    [Fact]
    public void Well_formed_queries_get_exactly_the_zones_records()
    {
        string[] names = ["www.example.test", "www2.example.test", "mail.example.test", "a.b.deep.example.test", "deep.example.test",
            "nope.example.test", "example.test", "other.invalid", "www.example.org", TestZone.ManyName];
        ushort[] types = [1, 28, 255, 6, 15, 16];
        Gen.Select(Gen.OneOfConst(names), Gen.ULong, Gen.OneOfConst(types), Gen.Int[0, 5000].Nullable(), Gen.UShort)
            .Sample((name, caseBits, type, edns, id) =>
            {
                string asked = new([.. name.Select((c, i) => (caseBits >> (i % 64) & 1) == 1 ? char.ToUpperInvariant(c) : c)]);
                byte[] reply = new byte[1232];
                int length = Responder.Respond(QueryBuilder.Build(asked, type, id, ednsSize: edns), reply);
                ParsedReply parsed = ReplyReader.Parse(reply.AsSpan(0, length));
                Assert.Equal(id, parsed.Id);
                Assert.Equal(asked + ".", parsed.QuestionName);
                Assert.True(length <= (edns is int size ? Math.Clamp(size, 512, 1232) : 512));
                Assert.Equal(ExpectedRcode(name), parsed.Rcode);
                Assert.Equal(parsed.Rcode != 5, parsed.Authoritative);
                if (!parsed.Truncated)
                {
                    Assert.Equal(ExpectedAddresses(name, type), parsed.Answers.Where(a => a.Type is 1 or 28).Select(a => Convert.ToHexString(a.Data)).Order());
                }
            }, iter: 20_000);
    }

    private static int ExpectedRcode(string name) => name switch
    {
        "other.invalid" or "www.example.org" => 5,
        "nope.example.test" => 3,
        _ => 0,
    };

    private static IEnumerable<string> ExpectedAddresses(string name, ushort type)
    {
        if (ExpectedRcode(name) != 0)
        {
            return [];
        }

        (List<HostsEntry> entries, _) = HostsFile.Parse(TestZone.Hosts);
        IEnumerable<System.Net.IPAddress> addresses = name == TestZone.ManyName
            ? Enumerable.Range(1, 40).Select(i => System.Net.IPAddress.Parse($"203.0.113.{i}"))
            : entries.Where(e => e.Name == name).Select(e => e.Address);
        return addresses
            .Where(a => type == 255 || (type == 1) == (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) && type is 1 or 28)
            .Select(a => Convert.ToHexString(a.GetAddressBytes()))
            .Order();
    }

    private static void CheckReply(byte[] query)
    {
        byte[] reply = new byte[1232];
        int length = Responder.Respond(query, reply);
        bool isQuery = query.Length >= 12 && (query[2] & 0x80) == 0;
        if (!isQuery)
        {
            Assert.Equal(0, length);
            return;
        }

        Assert.InRange(length, 12, 1232);
        QueryVerdict verdict = DnsQuery.Parse(query, out DnsQuery parsedQuery);
        int limit = verdict == QueryVerdict.Answer && parsedQuery.HasEdns ? Math.Clamp((int)parsedQuery.UdpPayloadSize, 512, 1232) : 512;
        Assert.True(length <= limit, $"reply of {length} bytes over the client's limit {limit}");
        ParsedReply parsed = ReplyReader.Parse(reply.AsSpan(0, length));
        Assert.True(parsed.IsResponse);
        Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(query), parsed.Id);
        Assert.Equal((query[2] >> 3) & 0xF, parsed.Opcode);
        Assert.Equal((query[2] & 1) == 1, parsed.RecursionDesired);
    }

    private static byte[] Apply(byte[] bytes, Mutation m)
    {
        var list = new List<byte>(bytes);
        switch (m.Kind)
        {
            case 0 when list.Count > 0:
                list[m.Position % list.Count] = m.Value;
                break;
            case 1 when list.Count > 0:
                list[m.Position % list.Count] ^= (byte)(1 << (m.Value & 7));
                break;
            case 2:
                list.RemoveRange(m.Position % (list.Count + 1), list.Count - m.Position % (list.Count + 1));
                break;
            case 3:
                list.Insert(m.Position % (list.Count + 1), m.Value);
                break;
            case 4 when list.Count > 0:
                list.RemoveAt(m.Position % list.Count);
                break;
            case 5 when list.Count >= 12:
                list[4 + (2 * (m.Position % 4)) + 1] = (byte)(m.Value & 3); // a section count of 0–3
                break;
            case 6 when list.Count > 0:
                list.AddRange(list.GetRange(m.Position % list.Count, list.Count - (m.Position % list.Count)));
                break;
        }

        return [.. list];
    }
}
