using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Rebound.Cli.Lab;

/// <summary>
/// One flow from <c>conntrack -L</c>: the original tuple (as the first packet was seen) and the reply tuple (what a
/// reply must look like, after NAT). A reply tuple whose destination differs from the original source shows a
/// translation, e.g. a source port remapped by SNAT.
/// </summary>
internal sealed partial record ConntrackEntry(string Line, IPEndPoint OriginalSource, IPEndPoint OriginalDestination, IPEndPoint ReplySource, IPEndPoint ReplyDestination)
{
    /// <summary>
    /// Parses a line such as
    /// <c>udp 17 29 src=192.0.2.1 dst=192.0.2.3 sport=56789 dport=45167 [UNREPLIED] src=192.0.2.3 dst=198.51.100.13 sport=45167 dport=40104 mark=0 use=1</c>.
    /// </summary>
    public static bool TryParse(string line, out ConntrackEntry entry)
    {
        entry = null!;
        MatchCollection tuples = TuplePattern().Matches(line ?? "");
        if (tuples.Count < 2
            || !TryEndpoints(tuples[0], out IPEndPoint originalSource, out IPEndPoint originalDestination)
            || !TryEndpoints(tuples[1], out IPEndPoint replySource, out IPEndPoint replyDestination))
        {
            return false;
        }

        entry = new ConntrackEntry(line!.Trim(), originalSource, originalDestination, replySource, replyDestination);
        return true;
    }

    /// <summary>Every flow <c>conntrack -L</c> printed (lines that are not flows are ignored).</summary>
    public static IReadOnlyList<ConntrackEntry> ParseAll(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => TryParse(line, out ConntrackEntry e) ? e : null).OfType<ConntrackEntry>()];

    /// <summary>The source a reply to the original packet will carry after NAT (the reply tuple's destination).</summary>
    public IPEndPoint TranslatedSource => ReplyDestination;

    /// <summary>True when NAT changed the original source (address or port).</summary>
    public bool IsSourceTranslated => !OriginalSource.Equals(ReplyDestination);

    private static bool TryEndpoints(Match tuple, out IPEndPoint source, out IPEndPoint destination)
    {
        source = destination = null!;
        if (!IPAddress.TryParse(tuple.Groups["src"].Value, out IPAddress? src)
            || !IPAddress.TryParse(tuple.Groups["dst"].Value, out IPAddress? dst)
            || !ushort.TryParse(tuple.Groups["sport"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out ushort sport)
            || !ushort.TryParse(tuple.Groups["dport"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out ushort dport))
        {
            return false;
        }

        source = new IPEndPoint(src, sport);
        destination = new IPEndPoint(dst, dport);
        return true;
    }

    [GeneratedRegex(@"src=(?<src>[0-9a-fA-F.:]+) dst=(?<dst>[0-9a-fA-F.:]+) sport=(?<sport>\d+) dport=(?<dport>\d+)")]
    private static partial Regex TuplePattern();
}
