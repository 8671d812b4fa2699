using CsCheck;
using Rebound.Interop;

namespace Rebound.Tests;

/// <summary>
/// The sendmmsg resend loop, driven through its seam (<see cref="IMessageSender"/>) by a scripted kernel that takes
/// part of a batch, refuses messages, or reports EAGAIN/EINTR. The real-socket partial send is in
/// <see cref="BatchReplyTests"/>; this covers the shapes a loopback socket will not produce on demand.
/// </summary>
public sealed unsafe class BatchResendTests
{
    [Fact]
    public void Resumes_after_partial_sends_waits_through_eagain_and_skips_a_refused_message()
    {
        // take 2; EAGAIN; take 1; refuse (EADDRNOTAVAIL); EINTR; take the rest.
        var sender = new ScriptedSender(5, [2, -(int)Errno.EAGAIN, 1, -(int)Errno.EADDRNOTAVAIL, -(int)Errno.EINTR]);
        int[] order = [0, 2, 3, 5, 6]; // items 1 and 4 had no reply
        var errors = new Errno[7];
        var counters = new SocketCounters();

        int sent = Send(ref sender, order, errors, counters);

        Assert.Equal(4, sent);
        Assert.Equal([0, 2, 2, 3, 4, 4], sender.Starts);
        Assert.Equal(1, sender.Waits);
        Assert.Equal([Errno.None, Errno.None, Errno.None, Errno.None, Errno.None, Errno.EADDRNOTAVAIL, Errno.None], errors);
        Assert.Equal(4, counters.Snapshot().Sent);
        Assert.Equal(1, counters.Snapshot().SourceUnavailable);
    }

    [Fact]
    public void Errors_about_the_socket_itself_throw()
    {
        var sender = new ScriptedSender(3, [-(int)Errno.EBADF]);
        Assert.Throws<System.Net.Sockets.SocketException>(() => Send(ref sender, [0, 1, 2], new Errno[3], new SocketCounters()));
    }

    [Fact]
    public void Every_message_is_sent_or_refused_exactly_once_in_order()
    {
        int[] transient = [-(int)Errno.EAGAIN, -(int)Errno.EINTR];
        int[] refusals = [-(int)Errno.EINVAL, -(int)Errno.EADDRNOTAVAIL, -(int)Errno.ENETUNREACH, -(int)Errno.EMSGSIZE];
        Gen<int> step = Gen.Frequency(
            (5, Gen.Int[1, 64]),
            (2, Gen.OneOfConst(transient)),
            (2, Gen.OneOfConst(refusals)));
        Gen.Select(Gen.Int[1, 64], step.Array[0, 40]).Sample((count, script) =>
        {
            var sender = new ScriptedSender(count, script);
            int[] order = Enumerable.Range(0, count).Select(i => i * 2).ToArray();
            var errors = new Errno[count * 2];
            int sent = Send(ref sender, order, errors, new SocketCounters());

            int refused = errors.Count(e => e != Errno.None);
            Assert.Equal(count, sent + refused);
            Assert.Equal(count, sender.Outcomes.Count);
            Assert.Equal(Enumerable.Range(0, count), sender.Outcomes.Select(o => o.Message));
            foreach ((int message, Errno errno) in sender.Outcomes)
            {
                Assert.Equal(errno, errors[order[message]]);
            }
        });
    }

    private static int Send(ref ScriptedSender sender, int[] order, Errno[] errors, SocketCounters counters)
    {
        fixed (MultiMessageHeader* messages = sender.Messages)
        {
            sender.Base = messages;
            return LinuxBatchIO.SendAll(ref sender, messages, sender.Messages.Length, order, errors, counters);
        }
    }

    /// <summary>Plays a script of sendmmsg results (n taken, or -errno), then takes everything.</summary>
    private struct ScriptedSender(int count, int[] script) : IMessageSender
    {
        private int _step;

        public MultiMessageHeader[] Messages { get; } = new MultiMessageHeader[count];

        public MultiMessageHeader* Base { get; set; }

        public List<int> Starts { get; } = [];

        public List<(int Message, Errno Errno)> Outcomes { get; } = [];

        public int Waits { get; private set; }

        public int Send(MultiMessageHeader* messages, int count, out Errno errno)
        {
            int start = (int)(messages - Base);
            Starts.Add(start);
            int result = _step < script.Length ? script[_step++] : count;
            if (result > 0)
            {
                result = Math.Min(result, count);
                for (int i = 0; i < result; i++)
                {
                    Outcomes.Add((start + i, Errno.None));
                }

                errno = Errno.None;
                return result;
            }

            errno = (Errno)(-result);
            if (errno is not (Errno.EAGAIN or Errno.EINTR))
            {
                Outcomes.Add((start, errno));
            }

            return -1;
        }

        public void WaitUntilWritable() => Waits++;
    }
}
