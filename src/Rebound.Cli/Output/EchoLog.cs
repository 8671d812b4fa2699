using Rebound.Interop;

namespace Rebound.Cli.Output;

/// <summary>
/// <c>rebound echo -v</c>: one line per datagram answered, as text or (<c>--json</c>) as a <see cref="EchoDatagramJson"/>
/// JSON line, with the same words and endpoint form as every other command (docs/output.md).
/// </summary>
internal static class EchoLog
{
    /// <summary>A datagram Rebound answered: it knows where the request went and where the reply left from.</summary>
    public static void Answered(bool json, UdpEndPoint client, UdpEndPoint server, int interfaceIndex, int bytes, UdpEndPoint replySource)
    {
        if (json)
        {
            JsonOutput.WriteLine(Console.Out, new EchoDatagramJson(
                JsonOutput.SchemaVersion, "datagram", DateTime.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture),
                EndpointText.Format(client), EndpointText.Format(server), InterfaceNames.NameOf(interfaceIndex), bytes, EndpointText.Format(replySource)));
            return;
        }

        Console.WriteLine(
            $"{EndpointText.Format(client)} -> {EndpointText.Format(server)} via {InterfaceNames.Describe(interfaceIndex)} " +
            $"{bytes} bytes, replied from {EndpointText.Format(replySource)}");
    }

    /// <summary>A datagram the naive server answered with sendto: the server address and reply source are unknown.</summary>
    public static void AnsweredNaively(bool json, System.Net.IPEndPoint client, int bytes)
    {
        if (json)
        {
            JsonOutput.WriteLine(Console.Out, new EchoDatagramJson(
                JsonOutput.SchemaVersion, "datagram", DateTime.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture),
                EndpointText.Format(client), null, null, bytes, null));
            return;
        }

        Console.WriteLine($"{EndpointText.Format(client)} -> ? (unknown) {bytes} bytes, replied with sendto (source chosen by the kernel)");
    }
}

/// <summary>
/// One <c>echo -v --json</c> line. <c>server</c> and <c>replySource</c> are null for <c>--naive</c>, which cannot know
/// them (that is the bug); <c>interface</c> is null when the kernel did not say.
/// </summary>
internal sealed record EchoDatagramJson(
    int SchemaVersion,
    string Event,
    string Time,
    string Client,
    string? Server,
    string? Interface,
    int Bytes,
    string? ReplySource);
