namespace DnsResponder;

/// <summary>Counts what a serving loop did, for the summary line at exit.</summary>
internal sealed class ServeCounters
{
    public long Answered;
    public long Dropped;
    public long Unanswerable;
}
