namespace Rebound.Interop;

/// <summary>The sendmmsg seam: the real socket in the library, a scripted one in the resend-logic tests.</summary>
internal unsafe interface IMessageSender
{
    /// <summary>Sends up to <paramref name="count"/> messages; returns how many went, or -1 with <paramref name="errno"/>.</summary>
    int Send(MultiMessageHeader* messages, int count, out Errno errno);

    /// <summary>Waits (briefly) until the send buffer has room.</summary>
    void WaitUntilWritable();
}
