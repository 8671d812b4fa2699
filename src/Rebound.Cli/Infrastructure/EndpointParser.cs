using System.Globalization;
using System.Net;
using Rebound.Interop;

namespace Rebound.Cli.Infrastructure;

/// <summary>Parses the ADDR:PORT forms the commands accept, with messages that say what a valid value looks like.</summary>
internal static class EndpointParser
{
    /// <summary>
    /// Accepts <c>1.2.3.4:53</c>, <c>[::]:53</c>, <c>[fe80::1%eth0]:53</c>, <c>:53</c> or <c>53</c> (the wildcard of
    /// <paramref name="defaultAddress"/>), and <c>localhost:53</c>.
    /// </summary>
    public static bool TryParse(string text, IPAddress defaultAddress, out IPEndPoint endPoint, out string error)
    {
        endPoint = new IPEndPoint(defaultAddress, 0);
        error = "";
        text = text.Trim();
        string addressPart;
        string portPart;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"'{text}' is not ADDR:PORT; write IPv6 as [2001:db8::1]:53.";
                return false;
            }

            addressPart = text[1..close];
            portPart = text[(close + 2)..];
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"'{text}' looks like a bare IPv6 address; write it as [ADDR]:PORT.";
                return false;
            }

            addressPart = colon >= 0 ? text[..colon] : "";
            portPart = colon >= 0 ? text[(colon + 1)..] : text;
        }

        if (!ushort.TryParse(portPart, NumberStyles.None, CultureInfo.InvariantCulture, out ushort port))
        {
            error = $"'{portPart}' is not a port number (0-65535).";
            return false;
        }

        IPAddress address = defaultAddress;
        if (addressPart.Length > 0)
        {
            if (addressPart.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                address = IPAddress.Loopback;
            }
            else if (!TryParseAddress(addressPart, out address))
            {
                error = $"'{addressPart}' is not an IP address (names are not resolved; use 192.0.2.1 or [2001:db8::1]).";
                return false;
            }
        }

        endPoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>Parses an address, accepting <c>%ifname</c> as well as <c>%index</c> for IPv6 scopes.</summary>
    public static bool TryParseAddress(string text, out IPAddress address)
    {
        int percent = text.IndexOf('%', StringComparison.Ordinal);
        if (percent > 0 && !int.TryParse(text.AsSpan(percent + 1), CultureInfo.InvariantCulture, out _))
        {
            int index = InterfaceNames.IndexOf(text[(percent + 1)..]);
            if (index <= 0)
            {
                address = IPAddress.None;
                return false;
            }

            text = $"{text[..percent]}%{index}";
        }

        return IPAddress.TryParse(text, out address!);
    }
}
