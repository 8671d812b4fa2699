namespace DnsResponder.Tests.Support;

/// <summary>
/// Queries captured from dig 9.18 on this machine (a UDP listener on loopback printed each datagram in hex). They seed
/// the fuzz tests and the unit tests, so parsing is checked against what a real client sends.
/// </summary>
internal static class DigQueries
{
    /// <summary><c>dig www.example.test</c>: RD+AD, EDNS 1232 with a client cookie.</summary>
    public static readonly byte[] WwwA = Convert.FromHexString("35690120000100000000000103777777076578616d706c650474657374000001000100002904d000000000000c000a0008ec363e78b6235a7e");

    /// <summary><c>dig AAAA www.example.test</c>.</summary>
    public static readonly byte[] WwwAaaa = Convert.FromHexString("1a460120000100000000000103777777076578616d706c65047465737400001c000100002904d000000000000c000a0008f19fad1b04ae8439");

    /// <summary><c>dig +noedns WWW.Example.TEST</c>: no OPT record, mixed case.</summary>
    public static readonly byte[] MixedCaseNoEdns = Convert.FromHexString("15170120000100000000000003575757074578616d706c6504544553540000010001");

    /// <summary><c>dig +norec +nocookie A mail.example.test</c>: RD clear, EDNS without options.</summary>
    public static readonly byte[] MailNoRecursion = Convert.FromHexString("006900200001000000000001046d61696c076578616d706c650474657374000001000100002904d0000000000000");

    /// <summary><c>dig MX example.test</c>: a type the zone has no records of, at the apex.</summary>
    public static readonly byte[] ApexMx = Convert.FromHexString("34c401200001000000000001076578616d706c65047465737400000f000100002904d000000000000c000a0008b48a6ea28be316f1");

    /// <summary><c>dig +opcode=status www.example.test</c>: opcode 2.</summary>
    public static readonly byte[] StatusOpcode = Convert.FromHexString("5b311120000100000000000103777777076578616d706c650474657374000001000100002904d000000000000c000a0008d4440e6405263185");

    /// <summary><c>dig +dnssec SOA example.test</c>: DO bit set.</summary>
    public static readonly byte[] ApexSoaDnssec = Convert.FromHexString("779001200001000000000001076578616d706c650474657374000006000100002904d000008000000c000a0008d9b47c94cab4b7fe");

    public static readonly byte[][] All = [WwwA, WwwAaaa, MixedCaseNoEdns, MailNoRecursion, ApexMx, StatusOpcode, ApexSoaDnssec];
}
