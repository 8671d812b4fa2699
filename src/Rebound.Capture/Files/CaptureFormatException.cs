namespace Rebound.Capture.Files;

/// <summary>
/// A capture file that cannot be read (truncated, corrupt, unknown format or link type). Carries the byte offset where
/// reading failed so the operator can look at the file with a hex viewer.
/// </summary>
public sealed class CaptureFormatException : Exception
{
    public CaptureFormatException()
    {
    }

    public CaptureFormatException(string message)
        : base(message)
    {
    }

    public CaptureFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CaptureFormatException(string problem, long offset)
        : base($"{problem} (at byte offset {offset})")
    {
        Offset = offset;
    }

    /// <summary>Byte offset in the file where the problem was found.</summary>
    public long Offset { get; }
}
