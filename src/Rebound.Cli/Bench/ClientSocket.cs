using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Buffers.Binary;

namespace Rebound.Cli.Bench;

/// <summary>
/// One connected client socket of the load generator with a fixed number of slots, each holding at most one datagram
/// in flight. Replies are read and replacements sent in batches, with the library's batched calls on a plain socket
/// (<see cref="SocketBatchExtensions"/>: recvmmsg into a <see cref="DatagramBatch"/>, sendmmsg of a
/// <see cref="TransmitBatch"/>, with the library's one partial-send policy). Both batches are allocated once, so the
/// loop allocates nothing.
/// </summary>
/// <remarks>A datagram carries its slot number (bytes 0–3) and a sequence number (bytes 8–15); a reply counts only
/// if both match what the slot has outstanding.</remarks>
internal sealed class ClientSocket : IDisposable
{
    private const int HeaderBytes = 16;

    /// <summary>How often a datagram refused because of an earlier ICMP port unreachable is sent again in one flush.</summary>
    private const int RefusedResends = 4;

    private readonly Socket _socket;
    private readonly int _slots;
    private readonly byte[] _payload;
    private readonly DatagramBatch _received;
    private readonly TransmitBatch _staged;
    private readonly int[] _stagedSlots;
    private readonly long[] _sentAt;
    private readonly ulong[] _sequence; // 0: the slot is free
    private ulong _nextSequence = 1;

    public ClientSocket(IPEndPoint target, IPAddress? source, int slots, int payloadSize)
    {
        _slots = slots;
        _payload = new byte[payloadSize];
        _payload.AsSpan().Fill(0x5a);
        _sentAt = new long[slots];
        _sequence = new ulong[slots];
        int batch = Math.Min(slots, DatagramBatch.MaxCapacity);
        _stagedSlots = new int[batch];
        _socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Room for every reply in flight, so drops are the server's and not ours.
            _socket.ReceiveBufferSize = Math.Max(_socket.ReceiveBufferSize, slots * 4096);
            _socket.Bind(new IPEndPoint(source ?? (target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any), 0));
            _socket.Connect(target);
            _received = new DatagramBatch(batch, Math.Max(payloadSize, HeaderBytes) + 64);
            _staged = new TransmitBatch(batch, payloadSize);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The file descriptor, for poll().</summary>
    public int Descriptor => (int)_socket.SafeHandle.DangerousGetHandle();

    /// <summary>The local address and port the socket sends from.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Datagrams sent and not yet answered or given up.</summary>
    public int Outstanding { get; private set; }

    /// <summary>Fills every free slot with a new datagram (as far as <paramref name="budget"/> allows) and sends.</summary>
    public void Fill(LoadTally tally, long budget)
    {
        long now = Stopwatch.GetTimestamp();
        for (int slot = 0; slot < _slots && tally.Sent < budget; slot++)
        {
            if (_sequence[slot] == 0)
            {
                Stage(slot, now, tally);
            }
        }

        Flush(tally);
    }

    /// <summary>Reads the replies queued (one recvmmsg), records their round trips and sends a replacement for each.</summary>
    public void Pump(LoadTally tally, long budget)
    {
        int received;
        try
        {
            received = _socket.TryReceiveBatch(_received);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            tally.Refused++; // ICMP port unreachable for an earlier datagram
            return;
        }

        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < received; i++)
        {
            ReadOnlySpan<byte> reply = _received.Payload(i);
            int slot = reply.Length >= HeaderBytes ? BinaryPrimitives.ReadInt32LittleEndian(reply) : -1;
            ulong sequence = reply.Length >= HeaderBytes ? BinaryPrimitives.ReadUInt64LittleEndian(reply[8..]) : 0;
            if ((uint)slot >= (uint)_slots || sequence == 0 || _sequence[slot] != sequence)
            {
                tally.Unexpected++;
                continue;
            }

            tally.Replies++;
            tally.Latency.Record(ToNanoseconds(now - _sentAt[slot]));
            _sequence[slot] = 0;
            Outstanding--;
            if (tally.Sent < budget)
            {
                Stage(slot, now, tally);
            }
        }

        Flush(tally);
    }

    /// <summary>Gives up on datagrams older than <paramref name="timeout"/>: counts them lost and, within budget, replaces them.</summary>
    public void ExpireLost(LoadTally tally, long budget, TimeSpan timeout)
    {
        long now = Stopwatch.GetTimestamp();
        long limit = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        for (int slot = 0; slot < _slots; slot++)
        {
            if (_sequence[slot] != 0 && now - _sentAt[slot] > limit)
            {
                tally.Lost++;
                _sequence[slot] = 0;
                Outstanding--;
                if (tally.Sent < budget)
                {
                    Stage(slot, now, tally);
                }
            }
        }

        Flush(tally);
    }

    /// <summary>Counts every datagram still outstanding as lost (at the end of a run, after the drain).</summary>
    public void AbandonOutstanding(LoadTally tally)
    {
        for (int slot = 0; slot < _slots; slot++)
        {
            if (_sequence[slot] != 0)
            {
                _sequence[slot] = 0;
                tally.Lost++;
            }
        }

        Outstanding = 0;
    }

    public void Dispose()
    {
        _socket.Dispose();
        _received?.Dispose();
        _staged?.Dispose();
    }

    private static long ToNanoseconds(long ticks) =>
        Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1e9 / Stopwatch.Frequency));

    /// <summary>Writes slot <paramref name="slot"/>'s next datagram into the send batch (sending the batch first when full).</summary>
    private void Stage(int slot, long now, LoadTally tally)
    {
        if (_staged.Count == _staged.Capacity)
        {
            Flush(tally);
        }

        ulong sequence = _nextSequence++;
        BinaryPrimitives.WriteInt32LittleEndian(_payload, slot);
        BinaryPrimitives.WriteUInt64LittleEndian(_payload.AsSpan(8), sequence);
        _stagedSlots[_staged.Add(_payload)] = slot;
        _sequence[slot] = sequence;
        _sentAt[slot] = now;
        Outstanding++;
        tally.Sent++;
    }

    /// <summary>
    /// Sends the staged datagrams with the library's policy (what the kernel did not take is resent, a full send buffer
    /// waited out). A datagram refused with ConnectionRefused (an earlier datagram drew ICMP port unreachable; this one
    /// was not sent) is counted and sent again; one refused for another reason stays outstanding and, unanswered, is
    /// counted lost after the loss timeout.
    /// </summary>
    private void Flush(LoadTally tally)
    {
        for (int round = 0; round <= RefusedResends && _staged.Count > 0; round++)
        {
            int count = _staged.Count;
            if (_socket.SendBatch(_staged) == count)
            {
                return;
            }

            int resend = 0;
            for (int i = 0; i < count; i++)
            {
                if (_staged.Error(i) == SocketError.ConnectionRefused)
                {
                    tally.Refused++;
                    resend++;
                }
            }

            if (resend == 0 || round == RefusedResends)
            {
                return;
            }

            // The batch is empty again: restage, in order, the slots whose datagram was refused (the errors stay
            // readable until the next send; each slot is written at an index no later than the one it is read from).
            for (int i = 0; i < count; i++)
            {
                if (_staged.Error(i) == SocketError.ConnectionRefused)
                {
                    int slot = _stagedSlots[i];
                    BinaryPrimitives.WriteInt32LittleEndian(_payload, slot);
                    BinaryPrimitives.WriteUInt64LittleEndian(_payload.AsSpan(8), _sequence[slot]);
                    _stagedSlots[_staged.Add(_payload)] = slot;
                }
            }
        }
    }
}
