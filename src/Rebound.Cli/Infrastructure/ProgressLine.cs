namespace Rebound.Cli.Infrastructure;

/// <summary>
/// One status line on stderr, rewritten in place, for a command that may take a while (doctor's probes, analyze's
/// file): it appears only when stderr is a terminal and the work has run for a second, and it is erased when the work
/// ends, so pipes, files, logs and quick runs never see it (docs/output.md).
/// </summary>
internal sealed class ProgressLine : IDisposable
{
    /// <summary>How long the work runs before the line appears.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(200);

    private readonly Lock _gate = new();
    private readonly TextWriter _writer;
    private readonly Timer? _timer;
    private volatile string _text;
    private bool _shown;
    private bool _disposed;

    private ProgressLine(TextWriter writer, bool terminal, string text)
    {
        _writer = writer;
        _text = text;
        _timer = terminal ? new Timer(_ => Draw(), null, Delay, Period) : null;
    }

    /// <summary>A progress line on this process's stderr, silent unless stderr is a terminal.</summary>
    public static ProgressLine OnStandardError(string text) => new(Console.Error, !Console.IsErrorRedirected, text);

    /// <summary>Replaces the text; the next redraw shows it.</summary>
    public void Report(string text) => _text = text;

    /// <summary>Erases the line (if it was ever drawn) and stops drawing.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer?.Dispose();
            if (_shown)
            {
                _writer.Write("\r\u001b[K");
                _writer.Flush();
            }
        }
    }

    private void Draw()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            string text = _text;
            int width = TerminalWidth() - 1;
            _writer.Write("\r\u001b[K" + (text.Length > width ? string.Concat(text.AsSpan(0, width - 1), "…") : text));
            _writer.Flush();
            _shown = true;
        }
    }

    private static int TerminalWidth()
    {
        int width;
        try
        {
            width = Console.WindowWidth;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or PlatformNotSupportedException)
        {
            width = 0;
        }

        return width > 10 ? width : 80;
    }
}
