using System.Globalization;

namespace DnsResponder.Dns;

/// <summary>
/// Domain names in the two shapes this responder needs: the wire form (length-prefixed labels) read strictly from
/// queries, and a lowercase dotted key used to look names up without allocating.
/// </summary>
internal static class DnsName
{
    /// <summary>
    /// Stands in for a '.' byte inside a label, so that the key of <c>["a.b", "c"]</c> differs from that of
    /// <c>["a", "b", "c"]</c>. It lies outside the byte range, so no real label byte maps to it.
    /// </summary>
    private const char DotInsideLabel = '\u0100';

    /// <summary>
    /// Reads a query's question name at <paramref name="offset"/>: plain labels ending in the root label, at most 255
    /// bytes. A compression pointer is refused: a query's only name has nothing earlier to point to.
    /// </summary>
    public static bool TryReadQuestionName(ReadOnlySpan<byte> message, int offset, out int wireLength) =>
        TryWalk(message, offset, allowPointer: false, out wireLength);

    /// <summary>
    /// Steps over a name in a record of the additional section, which may end in a compression pointer; the pointer
    /// must point backwards, past the header. Returns the bytes the name occupies at <paramref name="offset"/>.
    /// </summary>
    public static bool TrySkipName(ReadOnlySpan<byte> message, int offset, out int wireLength) =>
        TryWalk(message, offset, allowPointer: true, out wireLength);

    private static bool TryWalk(ReadOnlySpan<byte> message, int offset, bool allowPointer, out int wireLength)
    {
        wireLength = 0;
        int position = offset;
        while (position < message.Length)
        {
            int length = message[position];
            if (allowPointer && (length & 0xC0) == 0xC0)
            {
                int target = position + 1 < message.Length ? ((length & 0x3F) << 8) | message[position + 1] : -1;
                wireLength = position + 2 - offset;
                return target >= DnsConstants.HeaderLength && target < offset;
            }

            if (length > DnsConstants.MaxLabelLength)
            {
                return false; // a pointer where none may be, or a reserved label type (0x40, 0x80)
            }

            position += 1 + length;
            if (position - offset > DnsConstants.MaxNameLength)
            {
                return false;
            }

            if (length == 0)
            {
                wireLength = position - offset;
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Writes the lookup key of a wire name already validated by <see cref="TryReadQuestionName"/>: labels joined by
    /// '.', ASCII letters lowercased (DNS compares names case-insensitively), no trailing dot; the root is "".
    /// <paramref name="key"/> needs <see cref="DnsConstants.MaxNameLength"/> chars. Returns the key's length.
    /// </summary>
    public static int WriteKey(ReadOnlySpan<byte> wireName, Span<char> key)
    {
        int written = 0;
        int position = 0;
        while (wireName[position] != 0)
        {
            int length = wireName[position];
            if (written > 0)
            {
                key[written++] = '.';
            }

            foreach (byte b in wireName.Slice(position + 1, length))
            {
                key[written++] = b switch
                {
                    >= (byte)'A' and <= (byte)'Z' => (char)(b | 0x20),
                    (byte)'.' => DotInsideLabel,
                    _ => (char)b,
                };
            }

            position += 1 + length;
        }

        return written;
    }

    /// <summary>
    /// Checks and normalises a host or zone name from the command line or a hosts file: letters, digits, '-' and '_',
    /// labels of 1–63 characters, at most 253 characters; an optional trailing dot is dropped and letters lowercased.
    /// </summary>
    public static bool TryNormalize(string text, out string name, out string error)
    {
        name = "";
        string trimmed = text.EndsWith('.') && text.Length > 1 ? text[..^1] : text;
        if (trimmed.Length is 0 or > 253)
        {
            error = $"'{text}' is not a domain name (1 to 253 characters).";
            return false;
        }

        foreach (string label in trimmed.Split('.'))
        {
            if (label.Length is 0 or > DnsConstants.MaxLabelLength)
            {
                error = $"'{text}' has an empty label or one longer than 63 characters.";
                return false;
            }

            foreach (char c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                {
                    error = $"'{text}' contains '{c}'; names may use letters, digits, '-' and '_'.";
                    return false;
                }
            }
        }

        error = "";
        name = trimmed.ToLower(CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>True when <paramref name="key"/> is <paramref name="apex"/> or a name below it.</summary>
    public static bool IsAtOrBelow(ReadOnlySpan<char> key, ReadOnlySpan<char> apex) =>
        key.EndsWith(apex, StringComparison.Ordinal) && (key.Length == apex.Length || key[key.Length - apex.Length - 1] == '.');

    /// <summary>The wire length of a normalised name: one length byte per label plus the root byte.</summary>
    public static int WireLength(string normalized) => normalized.Length + 2;
}
