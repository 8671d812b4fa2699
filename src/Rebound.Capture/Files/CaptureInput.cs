namespace Rebound.Capture.Files;

/// <summary>
/// Reads a capture file front to back through one reusable buffer, tracking the byte offset so every error can say
/// where it happened. Never seeks, so it works on pipes and multi-GB files with bounded memory.
/// </summary>
public sealed class CaptureInput
{
    private readonly Stream _stream;

    public CaptureInput(Stream stream) => _stream = stream;

    /// <summary>Bytes consumed so far (the offset of the next byte).</summary>
    public long Offset { get; private set; }

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes; returns how many were read (fewer only at end of file).</summary>
    public int ReadUpTo(Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int n = _stream.Read(destination[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        Offset += total;
        return total;
    }

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes or throws, naming <paramref name="what"/> and where it started.</summary>
    public void ReadExactly(Span<byte> destination, string what)
    {
        long start = Offset;
        int n = ReadUpTo(destination);
        if (n < destination.Length)
        {
            throw new CaptureFormatException($"the file ends inside {what}: {destination.Length} bytes expected, {n} present", start);
        }
    }

    /// <summary>Skips <paramref name="count"/> bytes (reading them), or throws if the file ends first.</summary>
    public void Skip(long count, string what)
    {
        long start = Offset;
        Span<byte> scratch = stackalloc byte[4096];
        long left = count;
        while (left > 0)
        {
            int n = ReadUpTo(scratch[..(int)Math.Min(left, scratch.Length)]);
            if (n == 0)
            {
                throw new CaptureFormatException($"the file ends inside {what}: {count} bytes expected, {count - left} present", start);
            }

            left -= n;
        }
    }
}
