using System.Net;

namespace Rebound;

/// <summary>Text form of a <see cref="UdpEndPoint"/>, matching <see cref="IPEndPoint.ToString"/>.</summary>
internal static class EndpointFormatter
{
    public static bool TryFormat(UdpEndPoint endpoint, bool addressOnly, Span<char> destination, out int written)
    {
        written = 0;
        bool bracket = !endpoint.IsIPv4 && !addressOnly;
        if (bracket && !Append("[", destination, ref written))
        {
            return false;
        }

        if (!TryFormatAddress(endpoint, destination[written..], out int addressLength))
        {
            return false;
        }

        written += addressLength;
        if (!endpoint.IsIPv4 && endpoint.ScopeId != 0)
        {
            if (!Append("%", destination, ref written) || !endpoint.ScopeId.TryFormat(destination[written..], out int scope))
            {
                return false;
            }

            written += scope;
        }

        if (bracket && !Append("]", destination, ref written))
        {
            return false;
        }

        if (!addressOnly)
        {
            if (!Append(":", destination, ref written) || !endpoint.Port.TryFormat(destination[written..], out int port))
            {
                return false;
            }

            written += port;
        }

        return true;
    }

    private static bool TryFormatAddress(UdpEndPoint endpoint, Span<char> destination, out int written)
    {
        if (endpoint.IsIPv4)
        {
            written = 0;
            ReadOnlySpan<byte> v4 = endpoint.V4Bytes;
            for (int i = 0; i < 4; i++)
            {
                if ((i > 0 && !Append(".", destination, ref written)) || !v4[i].TryFormat(destination[written..], out int n))
                {
                    return false;
                }

                written += n;
            }

            return true;
        }

        // IPv6 text rules (RFC 5952) are subtle: borrow the runtime formatter (one small allocation, off the hot path).
        return new IPAddress(endpoint.Bytes).TryFormat(destination, out written);
    }

    private static bool Append(string text, Span<char> destination, ref int written)
    {
        if (!text.AsSpan().TryCopyTo(destination[written..]))
        {
            return false;
        }

        written += text.Length;
        return true;
    }
}
