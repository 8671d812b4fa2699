using Rebound;

namespace DnsResponder;

/// <summary>How queries are received and answered; the DNS code is the same in every mode.</summary>
internal enum ServeMode
{
    /// <summary><see cref="ReboundServer"/>: one socket and thread per core, recvmmsg/sendmmsg batches.</summary>
    Batched,

    /// <summary>One <see cref="ReboundSocket"/> and a Receive/Reply loop on one thread.</summary>
    SingleSocket,

    /// <summary>recvfrom/sendto: the kernel picks the source address (the bug, for tests and comparison).</summary>
    Naive,
}
