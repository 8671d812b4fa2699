using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Rebound.Cli.Infrastructure;

/// <summary>
/// Where a command's tables go and in which form (docs/output.md, Tables): on a terminal, a Spectre table as wide as the
/// terminal; with <c>COLUMNS</c> set, a table that wide, also when stdout is a pipe or a file; piped without
/// <c>COLUMNS</c>, plain <c>ss</c>-style columns (no borders, no colours, one line per row, nothing cut), which
/// <c>grep</c> and <c>awk</c> can read; scripts are pointed to <c>--json</c>.
/// </summary>
internal sealed class TableOutput
{
    /// <summary>Wide enough that no plain line is ever wrapped by Spectre.</summary>
    private const int Unlimited = 4096;

    private TableOutput(IAnsiConsole console, bool plain)
    {
        Console = console;
        Plain = plain;
    }

    /// <summary>The console to write to (colours and width already chosen).</summary>
    public IAnsiConsole Console { get; }

    /// <summary>True when tables are written as plain columns (stdout is not a terminal and <c>COLUMNS</c> is not set).</summary>
    public bool Plain { get; }

    /// <summary>The width tables may use.</summary>
    public int Width => Console.Profile.Width;

    /// <summary>For standard output, as the environment asks.</summary>
    public static TableOutput ForStandardOutput() =>
        Create(System.Console.Out, !System.Console.IsOutputRedirected, Environment.GetEnvironmentVariable("COLUMNS"));

    /// <summary>For <paramref name="writer"/>; <paramref name="columns"/> is the <c>COLUMNS</c> variable (null: unset).</summary>
    public static TableOutput Create(TextWriter writer, bool terminal, string? columns)
    {
        int? width = int.TryParse(columns, NumberStyles.None, CultureInfo.InvariantCulture, out int c) && c is >= 20 and <= Unlimited ? c : null;
        bool plain = !terminal && width is null;
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (width is int w)
        {
            console.Profile.Width = w;
        }
        else if (plain)
        {
            console.Profile.Width = Unlimited;
        }

        return new TableOutput(console, plain);
    }

    /// <summary>Writes <paramref name="table"/> as a table, or as plain columns when piped.</summary>
    public void Write(Table table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!Plain)
        {
            Console.Write(table);
            return;
        }

        var rows = new List<string[]>();
        if (table.ShowHeaders)
        {
            rows.Add([.. table.Columns.Select(c => Flatten(c.Header).ToUpperInvariant().Replace(' ', '-'))]);
        }

        rows.AddRange(table.Rows.Select(r => r.Select(cell => Flatten(cell) is { Length: > 0 } text ? text : "-").ToArray()));
        int[] widths = [.. Enumerable.Range(0, table.Columns.Count).Select(i => rows.Max(r => r[i].Length))];
        if (table.Title is { } title)
        {
            Console.Profile.Out.Writer.WriteLine($"# {title.Text} (plain columns: stdout is not a terminal; --json for scripts)");
        }

        foreach (string[] row in rows)
        {
            Console.Profile.Out.Writer.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    /// <summary>The text of one cell on one line, without markup.</summary>
    private static string Flatten(IRenderable cell)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        IAnsiConsole plain = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
        });
        plain.Profile.Width = Unlimited;
        plain.Write(cell);
        return string.Join(' ', text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
