using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Rebound.Cli.Infrastructure;

/// <summary>How a long-running command (<c>rebound proxy</c>) writes its log: for people, log shippers, or journald.</summary>
internal enum LogFormat
{
    /// <summary>One line per entry with an ISO 8601 UTC timestamp (the built-in simple console formatter).</summary>
    Text,

    /// <summary>One JSON object per line with an ISO 8601 UTC timestamp and the structured state (the built-in JSON formatter).</summary>
    Json,

    /// <summary>journald's <c>&lt;N&gt;</c> priority prefixes, no timestamp (journald adds its own; the built-in systemd formatter).</summary>
    Systemd,
}

/// <summary>Builds the logger factory of a daemon-style command from <c>--log-format</c>; every entry goes to stderr.</summary>
internal static class DaemonLogging
{
    /// <summary>ISO 8601 in UTC with milliseconds and a <c>Z</c>, as docs/output.md writes every time.</summary>
    public const string IsoTimestamp = "yyyy-MM-ddTHH:mm:ss.fff'Z'";

    /// <summary>The values as people type them (lower case, as docs/output.md spells every enum value).</summary>
    private static readonly string[] Names = ["text", "json", "systemd"];

    /// <summary><c>--log-format text|json|systemd</c>; help and completion show the lower-case words, not the C# names.</summary>
    public static Option<LogFormat> CreateOption()
    {
        var option = new Option<LogFormat>("--log-format")
        {
            HelpName = string.Join('|', Names),
            Description = "Log format: text (people), json (one object per line), systemd (journald priorities). Default text.",
            CustomParser = result =>
            {
                string token = result.Tokens.Count == 0 ? "text" : result.Tokens[0].Value;
                int index = Array.FindIndex(Names, n => string.Equals(n, token, StringComparison.OrdinalIgnoreCase));
                if (index < 0)
                {
                    result.AddError($"--log-format: '{token}' is not one of {string.Join(", ", Names)}.");
                    return LogFormat.Text;
                }

                return (LogFormat)index;
            },
        };
        option.CompletionSources.Clear();
        option.CompletionSources.Add(Names);
        return option;
    }

    public static ILoggerFactory Create(LogFormat format, LogLevel minimum) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(minimum);
        builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        switch (format)
        {
            case LogFormat.Json:
                builder.AddJsonConsole(o =>
                {
                    o.TimestampFormat = IsoTimestamp;
                    o.UseUtcTimestamp = true;
                    o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
                });
                break;
            case LogFormat.Systemd:
                builder.AddSystemdConsole(o => o.TimestampFormat = null);
                break;
            default:
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = IsoTimestamp + " ";
                    o.UseUtcTimestamp = true;
                    o.ColorBehavior = LoggerColorBehavior.Default;
                });
                break;
        }
    });
}
