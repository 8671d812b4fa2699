using System.Diagnostics;
using CsCheck;
using Rebound.Cli.Bench;

namespace Rebound.Cli.Tests.Bench;

/// <summary>/proc/PID/stat parsing on real-shaped lines (odd command names included) and on this live process.</summary>
public class ProcessCpuTimeTests
{
    // A real line from /proc/PID/stat (kernel 6.x), utime 4312 and stime 977.
    private const string RealLine =
        "11933 (echo_server) R 1203 11933 1203 34816 11940 4194304 104 0 0 0 4312 977 0 0 20 0 1 0 97034 2584576 " +
        "224 18446744073709551615 94371217915904 94371217919857 140734441232560 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";

    [Fact]
    public void Parses_user_plus_system_ticks_from_a_real_line()
    {
        Assert.True(ProcessCpuTime.TryParseTicks(RealLine, out ulong ticks));
        Assert.Equal(4312UL + 977UL, ticks);
        Assert.Equal(TimeSpan.FromSeconds(52.89), ProcessCpuTime.FromTicks(ticks, 100));
    }

    [Fact]
    public void A_command_name_with_spaces_and_parentheses_does_not_shift_the_fields()
    {
        string line = RealLine.Replace("(echo_server)", "(a) b (c) 7 8)", StringComparison.Ordinal);
        Assert.True(ProcessCpuTime.TryParseTicks(line, out ulong ticks));
        Assert.Equal(5289UL, ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("11933 echo_server R 1 2 3")]
    [InlineData("11933 (x) R 1 2 3 4 5 6 7 8 9")]
    [InlineData("11933 (x) R 1 2 3 4 5 6 7 8 9 10 -4 6")]
    public void Truncated_or_malformed_lines_are_rejected(string line) =>
        Assert.False(ProcessCpuTime.TryParseTicks(line, out _));

    [Fact]
    public void Any_command_name_and_tick_counts_round_trip()
    {
        Gen.Select(Gen.String[Gen.Char["ab )(x9"], 0, 16], Gen.UInt[0, uint.MaxValue], Gen.UInt[0, uint.MaxValue])
            .Sample((name, utime, stime) =>
            {
                string line = $"42 ({name}) S 1 42 42 0 -1 4194560 10 0 0 0 {utime} {stime} 0 0 20 0 1 0 5 1000 10 0\n";
                Assert.True(ProcessCpuTime.TryParseTicks(line, out ulong ticks));
                Assert.Equal((ulong)utime + stime, ticks);
            });
    }

    [Fact]
    public void Reading_this_process_sees_its_cpu_time_grow_and_a_missing_process_reads_null()
    {
        TimeSpan before = ProcessCpuTime.Read(Environment.ProcessId) ?? throw new InvalidOperationException("/proc/self/stat unreadable");
        var spin = Stopwatch.StartNew();
        double sink = 0;
        while (spin.ElapsedMilliseconds < 150)
        {
            sink += Math.Sqrt(spin.ElapsedTicks);
        }

        TimeSpan after = ProcessCpuTime.Read(Environment.ProcessId)!.Value;
        Assert.True(after > before, $"CPU time did not grow ({before} → {after}, sink {sink})");
        Assert.Null(ProcessCpuTime.Read(int.MaxValue));
    }
}
