using DnsResponder.Dns;

namespace DnsResponder.Tests.Support;

/// <summary>The zone most tests answer from, loaded through the real hosts-file parser.</summary>
internal static class TestZone
{
    public const string Hosts = """
        # test records
        192.0.2.10      www.example.test www2.example.test
        2001:db8::10    www.example.test
        198.51.100.7    mail.example.test
        192.0.2.20      a.b.deep.example.test   # 'deep' and 'b.deep' exist only as empty non-terminals
        203.0.113.9     other.invalid
        """;

    /// <summary>A name with 40 A records: 640 bytes of answers, more than a 512-byte reply holds.</summary>
    public const string ManyName = "many.example.test";

    public static Zone Create()
    {
        string many = string.Join('\n', Enumerable.Range(1, 40).Select(i => $"203.0.113.{i} {ManyName}"));
        (List<HostsEntry> entries, List<string> errors) = HostsFile.Parse(Hosts + "\n" + many);
        Assert.Empty(errors);
        return Zone.Create("example.test", entries);
    }

    public static AuthoritativeResponder Responder() => new(Create());

    /// <summary>Runs one query through a fresh responder and reads the reply.</summary>
    public static ParsedReply Ask(byte[] query, AuthoritativeResponder? responder = null)
    {
        byte[] reply = new byte[4096];
        int length = (responder ?? Responder()).Respond(query, reply);
        Assert.True(length > 0, "the responder sent nothing");
        return ReplyReader.Parse(reply.AsSpan(0, length));
    }
}
