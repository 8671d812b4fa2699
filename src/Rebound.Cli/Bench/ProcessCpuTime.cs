using System.Globalization;

namespace Rebound.Cli.Bench;

/// <summary>
/// A process's CPU time (user + system, all threads) from <c>/proc/PID/stat</c>: how the benchmark charges a server for
/// the datagrams it answered, without instrumenting the server.
/// </summary>
internal static class ProcessCpuTime
{
    /// <summary>Reads the CPU time <paramref name="processId"/> has used so far, or null if it is gone or unreadable.</summary>
    public static TimeSpan? Read(int processId)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return TryParseTicks(text, out ulong ticks) ? FromTicks(ticks, BenchNative.ClockTicksPerSecond) : null;
    }

    /// <summary>Converts clock ticks to time.</summary>
    public static TimeSpan FromTicks(ulong ticks, long ticksPerSecond) =>
        TimeSpan.FromTicks((long)(ticks * (ulong)(TimeSpan.TicksPerSecond / ticksPerSecond)));

    /// <summary>
    /// Parses utime + stime (fields 14 and 15) from a stat line. The command name (field 2) is in parentheses and may
    /// itself contain spaces and parentheses, so the fields are counted from the last <c>')'</c>.
    /// </summary>
    public static bool TryParseTicks(ReadOnlySpan<char> stat, out ulong ticks)
    {
        ticks = 0;
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }

        // After ") " come field 3 (state) onwards: utime is the 12th of those, stime the 13th.
        ReadOnlySpan<char> rest = stat[(close + 1)..];
        ulong utime = 0;
        int field = 2;
        foreach (Range range in rest.Split(' '))
        {
            ReadOnlySpan<char> part = rest[range];
            if (part.IsEmpty)
            {
                continue;
            }

            field++;
            if (field is 14 or 15)
            {
                if (!ulong.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
                {
                    return false;
                }

                if (field == 14)
                {
                    utime = value;
                }
                else
                {
                    ticks = utime + value;
                    return true;
                }
            }
        }

        return false;
    }
}
