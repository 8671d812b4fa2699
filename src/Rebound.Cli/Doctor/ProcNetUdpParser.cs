using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace Rebound.Cli.Doctor;

/// <summary>
/// Reads the kernel's UDP socket tables (<c>/proc/net/udp</c>, <c>/proc/net/udp6</c>). Addresses are hex dumps of
/// 32-bit words in host byte order; ports are plain hex numbers. Lines that do not have that shape are skipped, never
/// thrown on.
/// </summary>
internal static class ProcNetUdpParser
{
    /// <summary>Every socket line of one table's text (the header line and malformed lines are skipped).</summary>
    public static List<UdpSocketEntry> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<UdpSocketEntry>();
        foreach (string line in text.Split('\n'))
        {
            if (TryParseLine(line, out UdpSocketEntry? entry))
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>
    /// Parses <c>"  12: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000  0  0 1234 2 ffff… 0"</c>.
    /// </summary>
    public static bool TryParseLine(string line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out UdpSocketEntry? entry)
    {
        entry = null;
        if (line is null)
        {
            return false;
        }

        string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode [ref pointer drops]
        if (fields.Length < 10 || !fields[0].EndsWith(':'))
        {
            return false;
        }

        if (!TryParseEndpoint(fields[1], out IPEndPoint? local) ||
            !TryParseEndpoint(fields[2], out IPEndPoint? remote) ||
            local.AddressFamily != remote.AddressFamily ||
            !int.TryParse(fields[3], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int state) ||
            !uint.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out uint uid) ||
            !ulong.TryParse(fields[9], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
        {
            return false;
        }

        ulong drops = 0;
        if (fields.Length >= 13 && !ulong.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out drops))
        {
            return false;
        }

        entry = new UdpSocketEntry(local, remote, state, uid, inode, drops);
        return true;
    }

    /// <summary>Parses <c>HEXADDR:HEXPORT</c>, where HEXADDR is 8 (IPv4) or 32 (IPv6) hex digits in host byte order.</summary>
    public static bool TryParseEndpoint(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        endPoint = null;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon is not (8 or 32) || text.Length - colon - 1 != 4 ||
            !ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort port))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        int words = colon / 8;
        for (int i = 0; i < words; i++)
        {
            if (!uint.TryParse(text.AsSpan(i * 8, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint word))
            {
                return false;
            }

            // The kernel printed the word as it sits in memory, read as a host-order integer.
            Span<byte> slot = bytes.Slice(i * 4, 4);
            if (BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(slot, word);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(slot, word);
            }
        }

        endPoint = new IPEndPoint(new IPAddress(bytes[..(words * 4)]), port);
        return true;
    }
}
