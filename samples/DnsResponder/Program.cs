using System.CommandLine;
using DnsResponder;

ParseResult parse = ResponderCommand.Create(Console.Out, Console.Error).Parse(args);
if (parse.Errors.Count > 0 && !parse.Tokens.Any(t => t.Value is "-h" or "--help" or "-?"))
{
    foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
    {
        Console.Error.WriteLine($"dns-responder: {error.Message}");
    }

    Console.Error.WriteLine("Try 'dns-responder --help'.");
    return ResponderCommand.Usage;
}

return await parse.InvokeAsync().ConfigureAwait(false);
