using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rebound.Interop;

namespace Rebound;

/// <summary>
/// Room for receiving and answering up to <see cref="Capacity"/> datagrams with one <c>recvmmsg</c> and one
/// <c>sendmmsg</c>. Every native structure (payload and reply buffers, addresses, control buffers, iovecs, mmsghdrs)
/// is allocated once, in unmanaged memory, when the batch is made; receiving and replying then allocate nothing.
/// </summary>
/// <remarks>
/// Use: <see cref="ReboundSocket.ReceiveBatch(DatagramBatch)"/> fills the first <see cref="Count"/> items; for each,
/// read <see cref="Datagram(int)"/> and <see cref="Payload(int)"/>, write an answer into <see cref="ReplyBuffer(int)"/>
/// and call <see cref="SetReplyLength(int, int)"/> (or <see cref="SetReply(int, ReadOnlySpan{byte})"/>); then
/// <see cref="ReboundSocket.ReplyBatch(DatagramBatch)"/> sends every reply from its request's destination address
/// (through a <see cref="TransmitBatch"/>, the general batched send).
/// A batch belongs to one thread at a time. Dispose it to free its memory.
/// </remarks>
public sealed unsafe class DatagramBatch : IDisposable
{
    /// <summary>The most datagrams one batch can hold (the kernel's UIO_MAXIOV bound on recvmmsg/sendmmsg).</summary>
    public const int MaxCapacity = 1024;

    /// <summary>The largest UDP payload.</summary>
    public const int MaxBufferSize = 65535;

    private const int NameStride = 32;

    /// <summary>A cache line: every region of the allocation and every payload buffer starts on one.</summary>
    private const int CacheLine = 64;

    /// <summary>The allocation's regions: receive headers, vectors, names, control, payloads, replies.</summary>
    private const int Regions = 6;

    /// <summary>The reply length that means "no reply" (0 is a valid, empty reply).</summary>
    internal const int NoReply = -1;

    private readonly ReceivedDatagram[] _datagrams;
    private readonly int[] _replyLengths;
    private readonly Errno[] _replyErrors;
    private readonly int[] _sendOrder;
    private readonly TransmitBatch _replies;
    private byte* _memory;

    /// <summary>Allocates a batch for <paramref name="capacity"/> datagrams of up to <paramref name="bufferSize"/> bytes each.</summary>
    /// <param name="capacity">Datagrams per system call, 1 to <see cref="MaxCapacity"/>. 16 to 64 suits most servers.</param>
    /// <param name="bufferSize">Bytes per request and per reply buffer; longer requests are cut and flagged
    /// <see cref="ReceivedDatagram.IsTruncated"/>.</param>
    public DatagramBatch(int capacity = 32, int bufferSize = 2048)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bufferSize, MaxBufferSize);
        Capacity = capacity;
        BufferSize = bufferSize;
        _datagrams = new ReceivedDatagram[capacity];
        _replyLengths = new int[capacity];
        _replyErrors = new Errno[capacity];
        _sendOrder = new int[capacity];
        _replies = new TransmitBatch(capacity, bufferSize, ownsPayloads: false);

        int stride = SlotStride(bufferSize);
        nuint size = (nuint)capacity * (nuint)(
            sizeof(MultiMessageHeader) + sizeof(IoVec) + NameStride + ControlMessages.ReceiveBufferSize + 2 * stride) + (Regions * CacheLine);
        _memory = (byte*)NativeMemory.AlignedAlloc(size, CacheLine);
        NativeMemory.Clear(_memory, size);

        byte* next = _memory;
        ReceiveHeaders = (MultiMessageHeader*)Take(ref next, capacity * sizeof(MultiMessageHeader));
        var receiveVectors = (IoVec*)Take(ref next, capacity * sizeof(IoVec));
        ReceiveNames = Take(ref next, capacity * NameStride);
        ReceiveControl = Take(ref next, capacity * ControlMessages.ReceiveBufferSize);
        Payloads = Take(ref next, capacity * stride);
        Replies = Take(ref next, capacity * stride);
        Stride = stride;

        for (int i = 0; i < capacity; i++)
        {
            receiveVectors[i] = new IoVec { Base = Payloads + (i * stride), Length = (nuint)bufferSize };
            ReceiveHeaders[i].Header.IoVectors = &receiveVectors[i];
            ReceiveHeaders[i].Header.IoVectorCount = 1;
            ReceiveHeaders[i].Header.Name = ReceiveNames + (i * NameStride);
            ReceiveHeaders[i].Header.Control = ReceiveControl + (i * ControlMessages.ReceiveBufferSize);
        }
    }

    /// <summary>The most datagrams this batch receives or answers at once.</summary>
    public int Capacity { get; }

    /// <summary>Bytes per request buffer and per reply buffer.</summary>
    public int BufferSize { get; }

    /// <summary>How many datagrams the last receive filled in (items 0 to Count - 1).</summary>
    public int Count { get; private set; }

    internal MultiMessageHeader* ReceiveHeaders { get; }

    internal byte* ReceiveNames { get; }

    internal byte* ReceiveControl { get; }

    internal byte* Payloads { get; }

    internal byte* Replies { get; }

    internal int Stride { get; }

    internal Span<Errno> ReplyErrors => _replyErrors;

    internal Span<int> SendOrder => _sendOrder;

    /// <summary>What is known about received datagram <paramref name="index"/>: sender, destination, whether it may be answered.</summary>
    public ref readonly ReceivedDatagram Datagram(int index) => ref _datagrams[CheckReceived(index)];

    /// <summary>The payload of received datagram <paramref name="index"/> (valid until the next receive into this batch).</summary>
    public ReadOnlySpan<byte> Payload(int index)
    {
        CheckReceived(index);
        return new ReadOnlySpan<byte>(Payloads + (index * Stride), _datagrams[index].Length);
    }

    /// <summary>The buffer to write the reply to datagram <paramref name="index"/> into (<see cref="BufferSize"/> bytes).</summary>
    public Span<byte> ReplyBuffer(int index)
    {
        CheckReceived(index);
        return new Span<byte>(Replies + (index * Stride), BufferSize);
    }

    /// <summary>
    /// Marks the first <paramref name="length"/> bytes of <see cref="ReplyBuffer(int)"/> as the reply; 0 sends none (to
    /// answer with an empty datagram, use <see cref="SetReply(int, ReadOnlySpan{byte})"/> with an empty span).
    /// </summary>
    public void SetReplyLength(int index, int length)
    {
        CheckReceived(index);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, BufferSize);
        _replyLengths[index] = length == 0 ? NoReply : length;
    }

    /// <summary>
    /// Copies <paramref name="reply"/> into the reply buffer of datagram <paramref name="index"/> and marks it to be sent;
    /// an empty <paramref name="reply"/> sends a zero-byte datagram (UDP's empty reply, which echo answers with).
    /// </summary>
    public void SetReply(int index, ReadOnlySpan<byte> reply)
    {
        SetReplyLength(index, reply.Length);
        reply.CopyTo(ReplyBuffer(index));
        _replyLengths[index] = reply.Length;
    }

    /// <summary>
    /// Why the last <see cref="ReboundSocket.ReplyBatch(DatagramBatch)"/> could not send the reply to datagram
    /// <paramref name="index"/>; <see cref="SocketError.Success"/> when it was sent or none was asked for.
    /// </summary>
    public SocketError ReplyError(int index)
    {
        CheckReceived(index);
        return _replyErrors[index].ToSocketError();
    }

    /// <summary>The reply's length, 0 for an empty reply, or <see cref="NoReply"/>.</summary>
    internal int ReplyLength(int index) => _replyLengths[index];

    internal byte* ReplyAddress(int index) => Replies + (index * Stride);

    internal ref ReceivedDatagram Slot(int index) => ref _datagrams[index];

    /// <summary>Makes items 0 to <paramref name="count"/> - 1 the current ones, with no replies set yet.</summary>
    internal void SetReceived(int count)
    {
        Count = count;
        _replyLengths.AsSpan(0, count).Fill(NoReply);
        _replyErrors.AsSpan(0, count).Clear();
    }

    /// <summary>
    /// Queues every reply that is set, for an answerable item, in item order, on the batch's <see cref="TransmitBatch"/>
    /// (pointing at the reply buffers: no copy); <see cref="SendOrder"/> says which item each message belongs to.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal TransmitBatch PrepareReplies()
    {
        ThrowIfDisposed();
        _replies.Clear();
        for (int i = 0; i < Count; i++)
        {
            int length = _replyLengths[i];
            if (length != NoReply && _datagrams[i].CanReply)
            {
                _sendOrder[_replies.Count] = i;
                _replies.AddReply(_datagrams[i], ReplyAddress(i), length);
            }
        }

        return _replies;
    }

    /// <summary>Forgets the replies once sent, so a second <see cref="ReboundSocket.ReplyBatch(DatagramBatch)"/> sends nothing.</summary>
    internal void ClearReplies() => _replyLengths.AsSpan(0, Count).Fill(NoReply);

    internal bool IsDisposed => _memory == null;

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>
    /// Per-address strategy: the address socket this batch was filled from, held (not re-armed) until its replies are
    /// sent, so that no other thread reads that address meanwhile and its datagrams are answered in order.
    /// </summary>
    internal PerAddress.AddressSocket? HeldSocket { get; set; }

    /// <summary>Lets other receivers read the held address socket again.</summary>
    internal void ReleaseHeldSocket()
    {
        PerAddress.AddressSocket? held = HeldSocket;
        HeldSocket = null;
        held?.Arm();
    }

    private int CheckReceived(int index)
    {
        ThrowIfDisposed();
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The batch holds {Count} received datagrams.");
        }

        return index;
    }

    /// <summary>
    /// The distance between two payload buffers: the size rounded up to whole cache lines, plus one line when that is
    /// an even number of lines. An odd number of lines puts the starts of up to 64 consecutive buffers in 64 different
    /// cache sets; a 64 KiB stride would put every buffer's first line in the same set, and a batch's 32 receive and 32
    /// send buffers would evict each other from the L1 and L2 caches on every datagram.
    /// </summary>
    internal static int SlotStride(int bufferSize)
    {
        int lines = (bufferSize + CacheLine - 1) / CacheLine;
        return (lines | 1) * CacheLine;
    }

    /// <summary>Takes the next of the <see cref="Regions"/> regions, starting on a cache line (the allocation has a line per region to spare).</summary>
    private static byte* Take(ref byte* next, int bytes)
    {
        byte* start = (byte*)(((nuint)next + (CacheLine - 1)) & ~(nuint)(CacheLine - 1));
        next = start + bytes;
        return start;
    }

    /// <summary>Frees the native memory. The batch must not be in use by a receive or reply.</summary>
    public void Dispose()
    {
        ReleaseHeldSocket();
        byte* memory = _memory;
        _memory = null;
        Count = 0;
        if (memory != null)
        {
            NativeMemory.AlignedFree(memory);
        }

        _replies?.Dispose();

        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native memory of a batch that was never disposed.</summary>
    ~DatagramBatch()
    {
        HeldSocket = null;   // the finalizer thread does not re-arm sockets
        Dispose();
    }
}
