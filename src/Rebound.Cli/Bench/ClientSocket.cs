using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Rebound.Interop;

namespace Rebound.Cli.Bench;

/// <summary>
/// One connected client socket of the load generator with a fixed number of slots, each holding at most one datagram
/// in flight. Replies are read and replacements sent in batches (recvmmsg/sendmmsg through the library's interop), and
/// every buffer and message header lives in native memory allocated once, so the loop allocates nothing.
/// </summary>
/// <remarks>A datagram carries its slot number (bytes 0–3) and a sequence number (bytes 8–15); a reply counts only
/// if both match what the slot has outstanding.</remarks>
internal sealed unsafe class ClientSocket : IDisposable
{
    private const int HeaderBytes = 16;

    private readonly Socket _socket;
    private readonly int _slots;
    private readonly int _payloadSize;
    private readonly int _receiveSize;
    private readonly byte* _memory;
    private readonly byte* _sendBuffers;
    private readonly byte* _receiveBuffers;
    private readonly IoVec* _sendVectors;
    private readonly IoVec* _receiveVectors;
    private readonly MultiMessageHeader* _sendHeaders;
    private readonly MultiMessageHeader* _receiveHeaders;
    private readonly long[] _sentAt;
    private readonly ulong[] _sequence; // 0: the slot is free
    private ulong _nextSequence = 1;
    private int _pending;

    public ClientSocket(IPEndPoint target, IPAddress? source, int slots, int payloadSize)
    {
        _slots = slots;
        _payloadSize = payloadSize;
        _receiveSize = Math.Max(payloadSize, HeaderBytes) + 64;
        _sentAt = new long[slots];
        _sequence = new ulong[slots];
        _socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Room for every reply in flight, so drops are the server's and not ours.
            _socket.ReceiveBufferSize = Math.Max(_socket.ReceiveBufferSize, slots * 4096);
            _socket.Bind(new IPEndPoint(source ?? (target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any), 0));
            _socket.Connect(target);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        nuint bytes = (nuint)(slots * (_payloadSize + _receiveSize + (2 * sizeof(IoVec)) + (2 * sizeof(MultiMessageHeader))));
        _memory = (byte*)NativeMemory.AllocZeroed(bytes);
        _sendHeaders = (MultiMessageHeader*)_memory;
        _receiveHeaders = _sendHeaders + slots;
        _sendVectors = (IoVec*)(_receiveHeaders + slots);
        _receiveVectors = _sendVectors + slots;
        _sendBuffers = (byte*)(_receiveVectors + slots);
        _receiveBuffers = _sendBuffers + (slots * _payloadSize);
        for (int i = 0; i < slots; i++)
        {
            new Span<byte>(_sendBuffers + (i * _payloadSize), _payloadSize).Fill(0x5a);
            _sendVectors[i] = new IoVec { Base = _sendBuffers + (i * _payloadSize), Length = (nuint)_payloadSize };
            _receiveVectors[i] = new IoVec { Base = _receiveBuffers + (i * _receiveSize), Length = (nuint)_receiveSize };
            _receiveHeaders[i].Header = new MessageHeader { IoVectors = &_receiveVectors[i], IoVectorCount = 1 };
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
        int received = Libc.ReceiveMessages(_socket.SafeHandle, _receiveHeaders, (uint)_slots, LinuxConstants.MSG_DONTWAIT, null);
        if (received < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ECONNREFUSED)
            {
                tally.Refused++;
            }
            else if (errno is not (Errno.EAGAIN or Errno.EINTR))
            {
                throw Errno.ToException(errno, "recvmmsg");
            }

            Flush(tally);
            return;
        }

        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < received; i++)
        {
            byte* reply = _receiveBuffers + (i * _receiveSize);
            int slot = *(int*)reply;
            ulong sequence = *(ulong*)(reply + 8);
            if (_receiveHeaders[i].Length < HeaderBytes || (uint)slot >= (uint)_slots || sequence == 0 || _sequence[slot] != sequence)
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
            if (_sequence[slot] != 0 && now - _sentAt[slot] > limit && !IsPending(slot))
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
        _pending = 0;
    }

    public void Dispose()
    {
        _socket.Dispose();
        NativeMemory.Free(_memory);
    }

    private static long ToNanoseconds(long ticks) =>
        Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1e9 / Stopwatch.Frequency));

    private void Stage(int slot, long now, LoadTally tally)
    {
        ulong sequence = _nextSequence++;
        byte* payload = _sendBuffers + (slot * _payloadSize);
        *(int*)payload = slot;
        *(ulong*)(payload + 8) = sequence;
        _sequence[slot] = sequence;
        _sentAt[slot] = now;
        _sendHeaders[_pending++].Header = new MessageHeader { IoVectors = &_sendVectors[slot], IoVectorCount = 1 };
        Outstanding++;
        tally.Sent++;
    }

    /// <summary>Sends the staged datagrams; any the kernel cannot take now (full send buffer) stay staged for the next call.</summary>
    private void Flush(LoadTally tally)
    {
        int done = 0;
        while (done < _pending)
        {
            int sent = Libc.SendMessages(_socket.SafeHandle, _sendHeaders + done, (uint)(_pending - done), LinuxConstants.MSG_DONTWAIT);
            if (sent > 0)
            {
                done += sent;
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ECONNREFUSED)
            {
                tally.Refused++; // a port unreachable for an earlier datagram; the send itself did not happen
                continue;
            }

            if (errno is Errno.EAGAIN or Errno.ENOBUFS)
            {
                break;
            }

            throw Errno.ToException(errno, "sendmmsg");
        }

        if (done > 0 && done < _pending)
        {
            new Span<MultiMessageHeader>(_sendHeaders + done, _pending - done).CopyTo(new Span<MultiMessageHeader>(_sendHeaders, _pending - done));
        }

        _pending -= done;
    }

    private bool IsPending(int slot)
    {
        for (int i = 0; i < _pending; i++)
        {
            if (_sendHeaders[i].Header.IoVectors == &_sendVectors[slot])
            {
                return true;
            }
        }

        return false;
    }
}
