using System.Globalization;

namespace Rebound.Cli.Lab;

/// <summary>What a row's client experienced, judged from what it received and what was captured.</summary>
internal enum Verdict
{
    /// <summary>Every message was answered, and the capture shows the replies coming from the address the client asked.</summary>
    Works,

    /// <summary>At least one message went unanswered.</summary>
    Fails,

    /// <summary>The client was answered, but the capture does not back it up: no verdict is claimed.</summary>
    Unproven,

    /// <summary>Not run: a program it needs is missing.</summary>
    Skipped,

    /// <summary>The row could not be set up or run (the message says why).</summary>
    Error,
}

/// <summary>
/// One row of the lab's matrix: what is set up (in <see cref="Run"/>), and what the field report leads us to expect.
/// Adding a row is one entry in <see cref="LabScenarios.All"/>.
/// </summary>
/// <param name="Id">"1", "6a", "11b": the number is the row of the issue, the letter a variant.</param>
/// <param name="Title">What is tried, in a few words.</param>
/// <param name="Expected">The verdict the report and the kernel's behaviour predict.</param>
/// <param name="Run">Sets up and runs the row on the shared bench.</param>
internal sealed record LabScenario(string Id, string Title, Verdict Expected, Func<LabBench, LabObservation> Run)
{
    /// <summary>Programs the row drives (iptables, conntrack); when one is missing the row is skipped, not guessed.</summary>
    public IReadOnlyList<string> Needs { get; init; } = [];

    /// <summary>Why the row cannot run on this host (the shield's kernel pieces), or null; such a row is skipped with that reason.</summary>
    public Func<string?>? Unavailable { get; init; }

    /// <summary>The row number without the variant letter.</summary>
    public int Number => int.Parse(Id.AsSpan(0, Id.TakeWhile(char.IsAsciiDigit).Count()), CultureInfo.InvariantCulture);
}

/// <summary>A row's outcome: verdict, the key packet facts, and a one-line explanation built from the evidence.</summary>
internal sealed record RowResult(LabScenario Scenario, Verdict Verdict, string Why, LabObservation? Observation = null)
{
    /// <summary>Where the first reply toward the client came from, as captured (null: none captured).</summary>
    public System.Net.IPEndPoint? ReplySource { get; init; }

    /// <summary>Which interface that reply left by, when several were captured.</summary>
    public string ReplyInterface { get; init; } = "";

    /// <summary>The client answered a reply with ICMP port unreachable (captured).</summary>
    public bool IcmpSeen { get; init; }

    /// <summary>The reply came from the right address but another port (SNAT clash), as captured.</summary>
    public int? RemappedPort { get; init; }

    /// <summary>Skipped rows never count against the run; anything else must match the expectation.</summary>
    public bool MatchesExpectation => Verdict == Verdict.Skipped || Verdict == Scenario.Expected;
}
