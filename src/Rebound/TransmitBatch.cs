using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rebound.Interop;

namespace Rebound;

/// <summary>
/// Datagrams to send together with <see cref="ReboundSocket.SendBatch(TransmitBatch)"/> (one <c>sendmmsg</c>), each
/// carrying its own destination, source address and payload: the batched form of
/// <see cref="ReboundSocket.SendFrom(UdpEndPoint, UdpEndPoint, ReadOnlySpan{byte}, int)"/>, in the spirit of quinn-udp's
/// <c>Transmit</c> and Go's <c>WriteBatch</c>. <see cref="ReboundSocket.ReplyBatch(DatagramBatch)"/> is this with one
/// reply per received request. <see cref="SocketBatchExtensions.SendBatch"/> sends one on a plain <see cref="Socket"/>
/// (for a connected socket, queue with <see cref="Add(ReadOnlySpan{byte})"/>), with the same engine and policy.
/// </summary>
/// <remarks>
/// Every native structure (payload buffers, addresses, control buffers, iovecs, mmsghdrs) is allocated once, when the
/// batch is made; adding and sending then allocate nothing. <c>Add</c> copies the payload, so the caller's
/// buffer may be reused at once. The source's interface index follows the same rule as a reply (IPv4: none; IPv6: only
/// for a link-local or unspecified source). A batch belongs to one thread at a time. Dispose it to free its memory.
/// </remarks>
public sealed unsafe class TransmitBatch : IDisposable
{
    private const int NameStride = 32;

    private readonly Message[] _messages;
    private readonly Errno[] _errors;
    private readonly int[] _order;
    private readonly int[] _runLengths;
    private byte* _memory;
    private int _family;

    /// <summary>Allocates room for <paramref name="capacity"/> datagrams of up to <paramref name="bufferSize"/> bytes each.</summary>
    /// <param name="capacity">Datagrams per system call, 1 to <see cref="DatagramBatch.MaxCapacity"/>.</param>
    /// <param name="bufferSize">The largest payload <c>Add</c> takes, up to <see cref="DatagramBatch.MaxBufferSize"/>.</param>
    public TransmitBatch(int capacity = 32, int bufferSize = 2048)
        : this(capacity, bufferSize, ownsPayloads: true)
    {
    }

    internal TransmitBatch(int capacity, int bufferSize, bool ownsPayloads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, DatagramBatch.MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bufferSize, DatagramBatch.MaxBufferSize);
        Capacity = capacity;
        BufferSize = bufferSize;
        _messages = new Message[capacity];
        _errors = new Errno[capacity];
        _order = new int[capacity];
        _runLengths = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _order[i] = i;
        }

        int stride = ownsPayloads ? DatagramBatch.SlotStride(bufferSize) : 0;
        nuint size = (nuint)capacity * (nuint)(sizeof(MultiMessageHeader) + sizeof(IoVec) + NameStride + ControlMessages.SendBufferSize + stride);
        _memory = (byte*)NativeMemory.AlignedAlloc(size, 64);
        NativeMemory.Clear(_memory, size);
        Headers = (MultiMessageHeader*)_memory;
        Vectors = (IoVec*)(Headers + capacity);
        Names = (byte*)(Vectors + capacity);
        Controls = Names + (capacity * NameStride);
        Payloads = ownsPayloads ? Controls + (capacity * ControlMessages.SendBufferSize) : null;
        Stride = stride;
    }

    /// <summary>The most datagrams this batch holds.</summary>
    public int Capacity { get; }

    /// <summary>The largest payload <c>Add</c> takes.</summary>
    public int BufferSize { get; }

    /// <summary>How many datagrams are waiting to be sent.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Whether runs of datagrams to one peer go out as one segmented send (<see cref="UdpSegmentation"/>): on where the
    /// kernel has it, off after the kernel refused it with EIO.
    /// </summary>
    internal bool Segmentation { get; set; } = UdpSegmentation.IsEnabled;

    internal MultiMessageHeader* Headers { get; }

    private IoVec* Vectors { get; }

    private byte* Names { get; }

    private byte* Controls { get; }

    private byte* Payloads { get; }

    private int Stride { get; }

    /// <summary>
    /// Queues <paramref name="payload"/> for <paramref name="destination"/>, to leave from <paramref name="source"/> (an
    /// address of this host, or unspecified to let the kernel choose; its port is ignored). Returns the datagram's index.
    /// </summary>
    /// <param name="destination">Where to send.</param>
    /// <param name="source">The source address.</param>
    /// <param name="payload">The datagram (copied).</param>
    /// <param name="interfaceIndex">For an IPv6 link-local or unspecified source, the interface to use; ignored otherwise.</param>
    /// <exception cref="InvalidOperationException">The batch is full.</exception>
    public int Add(UdpEndPoint destination, UdpEndPoint source, ReadOnlySpan<byte> payload, int interfaceIndex = 0)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, BufferSize, nameof(payload));
        int index = Reserve();
        byte* buffer = Copy(index, payload);
        _messages[index] = new Message(destination, source, ReplyPolicy.InterfaceFor(source, interfaceIndex), buffer, payload.Length);
        return index;
    }

    /// <summary>
    /// Queues <paramref name="payload"/> for a connected socket's peer, with neither destination nor source (the kernel
    /// uses the connected address and picks the source): for <see cref="SocketBatchExtensions.SendBatch"/> on a
    /// connected <see cref="Socket"/>. Returns the datagram's index.
    /// </summary>
    /// <param name="payload">The datagram (copied).</param>
    /// <exception cref="InvalidOperationException">The batch is full.</exception>
    public int Add(ReadOnlySpan<byte> payload)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, BufferSize, nameof(payload));
        int index = Reserve();
        _messages[index] = new Message(buffer: Copy(index, payload), length: payload.Length);
        return index;
    }

    /// <summary>Queues <paramref name="payload"/> as the reply to <paramref name="request"/>: to its sender, from the address it was sent to.</summary>
    /// <exception cref="InvalidOperationException">The request must not be answered (<see cref="ReceivedDatagram.CanReply"/> is false), or the batch is full.</exception>
    public int AddReply(in ReceivedDatagram request, ReadOnlySpan<byte> payload)
    {
        ReboundSocket.ThrowIfUnanswerable(request);
        return Add(request.RemoteEndPoint, request.ReplySource, payload, request.ReplyInterfaceIndex);
    }

    /// <summary>Queues the reply to <paramref name="request"/> from memory the caller keeps alive until the send (no copy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void AddReply(in ReceivedDatagram request, byte* payload, int length)
    {
        int index = Reserve();
        _messages[index] = new Message(request.RemoteEndPoint, request.ReplySource, request.ReplyInterfaceIndex, payload, length);
    }

    /// <summary>
    /// Why the last <see cref="ReboundSocket.SendBatch(TransmitBatch)"/> did not send datagram <paramref name="index"/>;
    /// <see cref="SocketError.Success"/> when it was sent.
    /// </summary>
    public SocketError Error(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Capacity);
        return _errors[index].ToSocketError();
    }

    /// <summary>Forgets the queued datagrams (a send does this itself).</summary>
    public void Clear() => Count = 0;

    /// <summary>
    /// Writes the mmsghdrs for every queued datagram (address for <paramref name="socketFamily"/>, pktinfo, iovec): one
    /// per run of datagrams <see cref="UdpSegmentation"/> lets share a send, one per datagram otherwise. Returns how many
    /// messages there are; <see cref="RunLength"/> says how many datagrams each carries.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal int Encode(int socketFamily)
    {
        ThrowIfDisposed();
        _errors.AsSpan(0, Count).Clear();
        _family = socketFamily;
        return EncodeFrom(0, 0, singlesUntil: 0);
    }

    /// <summary>How many queued datagrams message <paramref name="message"/> of the last encode carries.</summary>
    internal int RunLength(int message) => _runLengths[message];

    /// <summary>
    /// Encodes the datagrams from <paramref name="first"/> on again, starting at message <paramref name="message"/>:
    /// those before <paramref name="end"/> (what is left of a run the kernel refused) one per message, so each gets its
    /// own verdict, and the ones after as usual. Returns the new message count.
    /// </summary>
    internal int Unsegment(int message, int first, int end) => EncodeFrom(message, first, singlesUntil: end);

    /// <summary>The largest datagram that may start a segmented run (lowered when a route refused runs that large).</summary>
    internal int LargestSegment { get; private set; } = ushort.MaxValue;

    /// <summary>
    /// A run the kernel refused with EINVAL or EMSGSIZE went through one datagram at a time: its segments exceeded what
    /// the route takes (its MTU), so runs of datagrams as large as <paramref name="datagram"/> are not tried again.
    /// </summary>
    internal void SegmentTooLarge(int datagram) =>
        LargestSegment = Math.Min(LargestSegment, _messages[datagram].Length - 1);

    /// <summary>
    /// Writes message headers from message <paramref name="header"/> on, for datagrams from <paramref name="first"/> on;
    /// those before <paramref name="singlesUntil"/> are never segmented.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int EncodeFrom(int header, int first, int singlesUntil)
    {
        for (int i = first; i < Count; i++)
        {
            Vectors[i] = new IoVec { Base = _messages[i].Payload, Length = (nuint)_messages[i].Length };
        }

        int h = header;
        for (int i = first; i < Count; h++)
        {
            ref Message message = ref _messages[i];
            int run = Segmentation && i >= singlesUntil ? RunFrom(i) : 1;
            _runLengths[h] = run;
            if (run == 1 && h > header && _runLengths[h - 1] == 1 && message.Addressed && message.SameAddressing(_messages[i - 1]))
            {
                // A run to one peer from one source that is not segmented (a proxy's replies to one client, of
                // several sizes): the previous message's address and pktinfo serve this one too.
                Headers[h] = new MultiMessageHeader { Header = Headers[h - 1].Header };
                Headers[h].Header.IoVectors = Vectors + i;
                i++;
                continue;
            }

            byte* name = Names + (i * NameStride);
            byte* control = Controls + (i * ControlMessages.SendBufferSize);
            var controlSpan = new Span<byte>(control, ControlMessages.SendBufferSize);
            int controlLength = message.Addressed ? ControlMessages.WriteSource(message.Source, message.InterfaceIndex, controlSpan) : 0;
            if (run > 1)
            {
                controlLength += ControlMessages.WriteSegmentSize((ushort)message.Length, controlSpan[controlLength..]);
            }

            Headers[h] = new MultiMessageHeader
            {
                Header = new MessageHeader
                {
                    Name = message.Addressed ? name : null,
                    NameLength = message.Addressed ? (uint)SocketAddressCodec.Write(message.Destination, _family, new Span<byte>(name, NameStride)) : 0,
                    IoVectors = Vectors + i,
                    IoVectorCount = (nuint)run,
                    Control = controlLength > 0 ? control : null,
                    ControlLength = (nuint)controlLength,
                },
            };
            i += run;
        }

        return h;
    }

    /// <summary>How many datagrams from <paramref name="first"/> on can share one segmented send (1: none can).</summary>
    private int RunFrom(int first)
    {
        ref Message head = ref _messages[first];
        int size = head.Length;
        if (!UdpSegmentation.CanStart(size, LargestSegment))
        {
            return 1;
        }

        int count = 1;
        int bytes = size;
        for (int i = first + 1; i < Count; i++)
        {
            ref Message next = ref _messages[i];
            bool sameAddressing = head.Addressed ? next.SameAddressing(head) : !next.Addressed;
            if (!sameAddressing || !UdpSegmentation.Joins(size, count, bytes, next.Length))
            {
                break;
            }

            count++;
            bytes += next.Length;
            if (next.Length < size)
            {
                break;
            }
        }

        return count;
    }

    internal ReadOnlySpan<int> Order => _order;

    /// <summary>Queued datagram <paramref name="index"/> as plain values, for senders that do not use mmsghdrs (per-address).</summary>
    internal ReadOnlySpan<byte> Queued(int index, out UdpEndPoint destination, out UdpEndPoint source)
    {
        ref Message message = ref _messages[index];
        destination = message.Destination;
        source = message.Source;
        return new ReadOnlySpan<byte>(message.Payload, message.Length);
    }

    internal Span<Errno> Errors => _errors;

    private byte* Copy(int index, ReadOnlySpan<byte> payload)
    {
        if (Payloads == null)
        {
            throw new InvalidOperationException("This batch sends buffers it does not own.");
        }

        byte* buffer = Payloads + (index * Stride);
        payload.CopyTo(new Span<byte>(buffer, payload.Length));
        return buffer;
    }

    private int Reserve()
    {
        ThrowIfDisposed();
        if (Count == Capacity)
        {
            throw new InvalidOperationException($"The batch holds {Capacity} datagrams; send it first.");
        }

        return Count++;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_memory == null, this);

    /// <summary>Frees the native memory. The batch must not be in use by a send.</summary>
    public void Dispose()
    {
        byte* memory = _memory;
        _memory = null;
        Count = 0;
        if (memory != null)
        {
            NativeMemory.AlignedFree(memory);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native memory of a batch that was never disposed.</summary>
    ~TransmitBatch() => Dispose();

    /// <summary>One queued datagram; without <see cref="Addressed"/> it goes to a connected socket's peer as it is.</summary>
    private readonly struct Message
    {
        public readonly UdpEndPoint Destination;
        public readonly UdpEndPoint Source;
        public readonly int InterfaceIndex;
        public readonly byte* Payload;
        public readonly int Length;
        public readonly bool Addressed;

        public Message(UdpEndPoint destination, UdpEndPoint source, int interfaceIndex, byte* payload, int length)
        {
            Destination = destination;
            Source = source;
            InterfaceIndex = interfaceIndex;
            Payload = payload;
            Length = length;
            Addressed = true;
        }

        public Message(byte* buffer, int length)
        {
            Payload = buffer;
            Length = length;
        }

        /// <summary>Same destination, source and interface as <paramref name="other"/> (both addressed).</summary>
        public bool SameAddressing(in Message other) =>
            other.Addressed && InterfaceIndex == other.InterfaceIndex && Destination.Equals(other.Destination) && Source.Equals(other.Source);
    }
}
