using System.Runtime.CompilerServices;
using System.Threading;
using Rebound.Interop;

namespace Rebound;

/// <summary>The live counters behind <see cref="ReboundStatistics"/>. Increments are atomic, so receive and send paths may run on different threads.</summary>
internal sealed class SocketCounters
{
    private long _received;
    private long _sent;
    private long _truncated;
    private long _controlTruncated;
    private long _missingPacketInfo;
    private long _malformedControl;
    private long _sourceUnavailable;
    private long _sendErrors;
    private long _kernelDrops;
    private long _handlerErrors;
    private readonly long[] _sendErrorsByErrno = new long[ErrnoExtensions.MaxTracked + 1];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void CountReceived(in ReceivedDatagram datagram)
    {
        Interlocked.Increment(ref _received);
        CountProblems(datagram);
    }

    /// <summary>
    /// Counts what is unusual about one datagram of a batch (truncation, missing destination); the batch's
    /// total is added once with <see cref="CountReceived(long)"/>, so a clean datagram costs no atomic operation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void CountProblems(in ReceivedDatagram datagram)
    {
        if (datagram.IsTruncated)
        {
            Interlocked.Increment(ref _truncated);
        }

        switch (datagram.Unanswerable)
        {
            case UnanswerableReason.None:
                break;
            case UnanswerableReason.ControlDataTruncated:
                Interlocked.Increment(ref _controlTruncated);
                break;
            case UnanswerableReason.MissingPacketInfo:
                Interlocked.Increment(ref _missingPacketInfo);
                break;
            default:
                Interlocked.Increment(ref _malformedControl);
                break;
        }
    }

    /// <summary>The socket these counters belong to, held weakly so that the metrics registry never keeps it open.</summary>
    public WeakReference<ReboundSocket>? Owner { get; set; }

    /// <summary>True while the owning socket may still be in use (not collected).</summary>
    public bool OwnerAlive => Owner is null || Owner.TryGetTarget(out _);

    /// <summary>Reads the socket's kernel drop counter on demand (SO_MEMINFO), so the hot path pays nothing for it.</summary>
    public Func<long>? ReadKernelDrops { get; set; }

    /// <summary>Keeps the last kernel drop count, e.g. just before the socket closes.</summary>
    public void RecordKernelDrops(long drops)
    {
        if (drops > Volatile.Read(ref _kernelDrops))
        {
            Volatile.Write(ref _kernelDrops, drops);
        }
    }

    public void CountReceived(long count) => Interlocked.Add(ref _received, count);

    public void CountSent(long count = 1) => Interlocked.Add(ref _sent, count);

    /// <summary>A <see cref="DatagramHandler"/> threw or returned a length its reply buffer cannot hold.</summary>
    public void CountHandlerError() => Interlocked.Increment(ref _handlerErrors);

    public void CountSendError(Errno errno)
    {
        Interlocked.Increment(ref _sendErrors);
        if (errno.MeansSourceUnavailable())
        {
            Interlocked.Increment(ref _sourceUnavailable);
        }

        Interlocked.Increment(ref _sendErrorsByErrno[Math.Clamp((int)errno, 0, ErrnoExtensions.MaxTracked)]);
    }

    public ReboundStatistics Snapshot() => new()
    {
        Received = Volatile.Read(ref _received),
        Sent = Volatile.Read(ref _sent),
        Truncated = Volatile.Read(ref _truncated),
        ControlDataTruncated = Volatile.Read(ref _controlTruncated),
        MissingPacketInfo = Volatile.Read(ref _missingPacketInfo),
        MalformedControlData = Volatile.Read(ref _malformedControl),
        SourceUnavailable = Volatile.Read(ref _sourceUnavailable),
        SendErrors = Volatile.Read(ref _sendErrors),
        KernelDrops = Math.Max(Volatile.Read(ref _kernelDrops), ReadKernelDrops?.Invoke() ?? 0),
        HandlerErrors = Volatile.Read(ref _handlerErrors),
    };

    /// <summary>Failed sends per errno, for the metrics' errno tag.</summary>
    public void CopySendErrorsByErrno(Span<long> destination)
    {
        for (int i = 0; i < _sendErrorsByErrno.Length && i < destination.Length; i++)
        {
            destination[i] += Volatile.Read(ref _sendErrorsByErrno[i]);
        }
    }

    /// <summary>Adds this socket's totals into <paramref name="total"/> (used to keep metrics monotonic after Dispose).</summary>
    public void AddTo(SocketCounters total)
    {
        ReboundStatistics s = Snapshot();
        Interlocked.Add(ref total._received, s.Received);
        Interlocked.Add(ref total._sent, s.Sent);
        Interlocked.Add(ref total._truncated, s.Truncated);
        Interlocked.Add(ref total._controlTruncated, s.ControlDataTruncated);
        Interlocked.Add(ref total._missingPacketInfo, s.MissingPacketInfo);
        Interlocked.Add(ref total._malformedControl, s.MalformedControlData);
        Interlocked.Add(ref total._sourceUnavailable, s.SourceUnavailable);
        Interlocked.Add(ref total._sendErrors, s.SendErrors);
        Interlocked.Add(ref total._kernelDrops, s.KernelDrops);
        Interlocked.Add(ref total._handlerErrors, s.HandlerErrors);
        for (int i = 0; i < _sendErrorsByErrno.Length; i++)
        {
            Interlocked.Add(ref total._sendErrorsByErrno[i], Volatile.Read(ref _sendErrorsByErrno[i]));
        }
    }
}
