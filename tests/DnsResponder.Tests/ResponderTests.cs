using System.Buffers.Binary;
using System.Net;
using DnsResponder.Tests.Support;
using static DnsResponder.Tests.Support.TestZone;

namespace DnsResponder.Tests;

/// <summary>The responder's answers, one DNS rule per test, on queries dig sent and on hand-built ones.</summary>
public sealed class ResponderTests
{
    [Fact]
    public void Answers_digs_A_query_authoritatively_with_ID_RD_and_the_question_echoed()
    {
        byte[] reply = new byte[4096];
        int length = Responder().Respond(DigQueries.WwwA, reply);
        ParsedReply parsed = ReplyReader.Parse(reply.AsSpan(0, length));

        Assert.True(parsed.IsResponse);
        Assert.True(parsed.Authoritative);
        Assert.True(parsed.RecursionDesired);
        Assert.False(parsed.Truncated);
        Assert.Equal(0, parsed.Rcode);
        Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(DigQueries.WwwA), parsed.Id);
        int questionLength = 18 + 4; // 3www7example4test0 + type + class
        Assert.Equal(DigQueries.WwwA.AsSpan(12, questionLength).ToArray(), reply.AsSpan(12, questionLength).ToArray());
        ParsedRecord answer = Assert.Single(parsed.Answers);
        Assert.Equal("www.example.test.", answer.Name);
        Assert.Equal(IPAddress.Parse("192.0.2.10"), new IPAddress(answer.Data));
        Assert.Equal(new byte[] { 0xC0, 0x0C }, reply.AsSpan(12 + questionLength, 2).ToArray()); // owner = pointer to the question
        Assert.NotNull(parsed.Opt); // the query had EDNS, so the reply does too
    }

    [Fact]
    public void Answers_AAAA()
    {
        ParsedReply parsed = Ask(DigQueries.WwwAaaa);
        Assert.Equal(IPAddress.Parse("2001:db8::10"), new IPAddress(Assert.Single(parsed.Answers).Data));
        Assert.Equal(28, parsed.Answers[0].Type);
    }

    [Fact]
    public void Matches_names_case_insensitively_and_echoes_the_askers_case()
    {
        ParsedReply parsed = Ask(DigQueries.MixedCaseNoEdns);
        Assert.Equal("WWW.Example.TEST.", parsed.QuestionName);
        Assert.Equal("WWW.Example.TEST.", Assert.Single(parsed.Answers).Name);
        Assert.Null(parsed.Opt); // no EDNS in, none out
    }

    [Fact]
    public void Copies_a_clear_RD_bit()
    {
        ParsedReply parsed = Ask(DigQueries.MailNoRecursion);
        Assert.False(parsed.RecursionDesired);
        Assert.Equal(IPAddress.Parse("198.51.100.7"), new IPAddress(Assert.Single(parsed.Answers).Data));
    }

    [Fact]
    public void Unknown_name_in_the_zone_is_NXDOMAIN_with_the_SOA_compressed_to_the_apex()
    {
        ParsedReply parsed = Ask(QueryBuilder.Build("nope.example.test"));
        Assert.Equal(3, parsed.Rcode);
        Assert.True(parsed.Authoritative);
        Assert.Empty(parsed.Answers);
        ParsedRecord soa = Assert.Single(parsed.Authorities);
        Assert.Equal((6, "example.test."), (soa.Type, soa.Name));
        Assert.True(soa.OwnerCompressed);
        int position = 0;
        byte[] message = [.. new byte[12], .. QueryBuilder.EncodeName("example.test"), .. soa.Data];
        _ = ReplyReader.ReadName(message, ref position, out _);
        Assert.Equal(38, soa.Data.Length); // ns + pointer, hostmaster + pointer, five numbers: names are compressed
    }

    [Theory]
    [InlineData("mail.example.test", 28)] // has A only
    [InlineData("deep.example.test", 1)] // empty non-terminal above a.b.deep
    [InlineData("b.deep.example.test", 1)]
    public void Existing_name_without_the_type_is_NOERROR_NODATA_with_the_SOA(string name, ushort type)
    {
        ParsedReply parsed = Ask(QueryBuilder.Build(name, type));
        Assert.Equal(0, parsed.Rcode);
        Assert.Empty(parsed.Answers);
        Assert.Equal(6, Assert.Single(parsed.Authorities).Type);
    }

    [Fact]
    public void Apex_SOA_query_is_answered_and_the_DO_bit_copied()
    {
        ParsedReply parsed = Ask(DigQueries.ApexSoaDnssec);
        Assert.Equal(6, Assert.Single(parsed.Answers).Type);
        Assert.Equal(0x8000u, parsed.Opt!.Ttl & 0x8000);
    }

    [Theory]
    [InlineData("other.invalid")] // in the hosts file, but outside the zone
    [InlineData("notexample.test")] // shares the suffix text, not the labels
    [InlineData("example")]
    [InlineData("")]
    public void Names_outside_the_zone_are_REFUSED_without_AA(string name)
    {
        ParsedReply parsed = Ask(QueryBuilder.Build(name));
        Assert.Equal(5, parsed.Rcode);
        Assert.False(parsed.Authoritative);
        Assert.Empty(parsed.Answers);
        Assert.Equal(1, parsed.QuestionCount);
    }

    [Fact]
    public void Chaos_class_is_REFUSED() =>
        Assert.Equal(5, Ask(QueryBuilder.Build("www.example.test", 16, @class: 3)).Rcode);

    [Fact]
    public void A_label_containing_a_dot_byte_does_not_match_the_dotted_name()
    {
        // ["www.example", "test"] is a name outside the zone, however it prints.
        byte[] query = QueryBuilder.Build("x.example.test");
        byte[] name = [11, .. "www.example"u8, 4, .. "test"u8, 0];
        byte[] crafted = [.. query.AsSpan(0, 12), .. name, 0, 1, 0, 1];
        Assert.Equal(5, Ask(crafted).Rcode);
    }

    [Fact]
    public void Opcode_other_than_QUERY_is_NOTIMP_with_the_opcode_copied()
    {
        ParsedReply parsed = Ask(DigQueries.StatusOpcode);
        Assert.Equal((4, 2), (parsed.Rcode, parsed.Opcode));
        Assert.Equal(5, Ask(QueryBuilder.Build("www.example.test", opcode: 5)).Opcode); // UPDATE
    }

    [Theory]
    [InlineData("two questions")]
    [InlineData("an answer record")]
    [InlineData("trailing byte")]
    [InlineData("pointer in question")]
    [InlineData("cut question")]
    [InlineData("two OPT records")]
    [InlineData("OPT options overrun")]
    [InlineData("OPT as question type")]
    [InlineData("label past the end")]
    [InlineData("forward pointer in an additional record")]
    [InlineData("pointer into the header")]
    public void Malformed_queries_get_FORMERR_with_the_ID(string defect)
    {
        byte[] query = QueryBuilder.Build("www.example.test", ednsSize: 1232);
        byte[] opt = query[^11..];
        byte[] malformed = defect switch
        {
            "two questions" => Poke(query, 5, 2),
            "an answer record" => Poke(query, 7, 1),
            "trailing byte" => [.. query, 0],
            "pointer in question" => [.. query.AsSpan(0, 12), 0xC0, 0x0C, 0, 1, 0, 1],
            "cut question" => query[..(12 + 18 + 2)],
            "two OPT records" => [.. Poke(query, 11, 2), .. opt],
            "OPT options overrun" => [.. query[..^2], 0, 4, 0, 10, 0, 9], // a 9-byte option in 0 bytes
            "OPT as question type" => QueryBuilder.Build("www.example.test", 41),
            "label past the end" => [.. query.AsSpan(0, 12), 40, .. "short"u8],
            "forward pointer in an additional record" => [.. Poke(query, 11, 2), 0xC0, 0xFF, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0],
            "pointer into the header" => [.. Poke(query, 11, 2), 0xC0, 0x02, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0],
            _ => throw new ArgumentOutOfRangeException(nameof(defect)),
        };
        ParsedReply parsed = Ask(malformed);
        Assert.Equal(1, parsed.Rcode);
        Assert.Equal(0x1234, parsed.Id);
        Assert.True(parsed.IsResponse);
    }

    [Fact]
    public void An_additional_record_compressed_back_to_the_question_is_stepped_over()
    {
        byte[] query = QueryBuilder.Build("www.example.test");
        byte[] withRecord = [.. Poke(query, 11, 1), 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 99];
        ParsedReply parsed = Ask(withRecord);
        Assert.Equal(0, parsed.Rcode);
        Assert.Single(parsed.Answers);
    }

    [Fact]
    public void Responses_and_runts_are_dropped_silently()
    {
        byte[] reply = new byte[512];
        byte[] response = Poke(QueryBuilder.Build("www.example.test"), 2, 0x81); // QR set: never answer an answer
        Assert.Equal(0, Responder().Respond(response, reply));
        Assert.Equal(0, Responder().Respond(new byte[11], reply));
        Assert.Equal(0, Responder().Respond([], reply));
    }

    [Fact]
    public void An_answer_over_512_bytes_without_EDNS_is_truncated_with_TC()
    {
        byte[] reply = new byte[4096];
        int length = Responder().Respond(QueryBuilder.Build(ManyName), reply);
        ParsedReply parsed = ReplyReader.Parse(reply.AsSpan(0, length));
        Assert.True(parsed.Truncated);
        Assert.Empty(parsed.Answers);
        Assert.True(length <= 512);
    }

    [Fact]
    public void EDNS_payload_size_is_honoured_both_ways()
    {
        ParsedReply big = Ask(QueryBuilder.Build(ManyName, ednsSize: 4096));
        Assert.False(big.Truncated);
        Assert.Equal(40, big.Answers.Count);
        Assert.Equal(1232, big.Opt!.Class); // our advertised size

        ParsedReply small = Ask(QueryBuilder.Build(ManyName, ednsSize: 600));
        Assert.True(small.Truncated);

        ParsedReply tiny = Ask(QueryBuilder.Build(ManyName, ednsSize: 100)); // below 512 counts as 512
        Assert.True(tiny.Truncated);
        Assert.Single(Ask(QueryBuilder.Build("www.example.test", ednsSize: 100)).Answers);
    }

    [Fact]
    public void Unknown_EDNS_version_gets_BADVERS()
    {
        ParsedReply parsed = Ask(QueryBuilder.Build("www.example.test", ednsSize: 1232, ednsVersion: 1));
        Assert.Equal(0, parsed.Rcode);
        Assert.Equal(1u, parsed.Opt!.Ttl >> 24); // extended RCODE 16 = BADVERS
        Assert.Empty(parsed.Answers);
    }

    [Fact]
    public void ANY_returns_both_address_types_and_zone_transfers_are_NOTIMP()
    {
        ParsedReply any = Ask(QueryBuilder.Build("www.example.test", 255));
        Assert.Equal([1, 28], any.Answers.Select(a => (int)a.Type).Order());
        Assert.Equal(4, Ask(QueryBuilder.Build("example.test", 252)).Rcode);
    }

    private static byte[] Poke(byte[] bytes, int offset, byte value)
    {
        byte[] copy = [.. bytes];
        copy[offset] = value;
        return copy;
    }
}
