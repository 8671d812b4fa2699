using System.Buffers.Binary;
using System.Text;

namespace DnsResponder.Tests.Support;

/// <summary>One resource record of a parsed reply; <see cref="Name"/> is expanded from compression pointers.</summary>
internal sealed record ParsedRecord(string Name, ushort Type, ushort Class, uint Ttl, byte[] Data, bool OwnerCompressed);

/// <summary>A reply as a client would read it.</summary>
internal sealed record ParsedReply(
    ushort Id, ushort Flags, string QuestionName, ushort QuestionType, int QuestionCount,
    List<ParsedRecord> Answers, List<ParsedRecord> Authorities, List<ParsedRecord> Additionals)
{
    public bool IsResponse => (Flags & 0x8000) != 0;
    public int Opcode => (Flags >> 11) & 0xF;
    public bool Authoritative => (Flags & 0x0400) != 0;
    public bool Truncated => (Flags & 0x0200) != 0;
    public bool RecursionDesired => (Flags & 0x0100) != 0;
    public int Rcode => Flags & 0xF;
    public ParsedRecord? Opt => Additionals.Find(r => r.Type == 41);
}

/// <summary>
/// A strict, independent DNS message reader for the tests (written separately from the responder's code, so a shared
/// misunderstanding cannot hide): follows compression pointers, which must point backwards, and throws
/// <see cref="FormatException"/> on anything malformed, including bytes left over.
/// </summary>
internal static class ReplyReader
{
    public static ParsedReply Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length < 12)
        {
            throw new FormatException("shorter than a header");
        }

        int[] counts = [U16(message, 4), U16(message, 6), U16(message, 8), U16(message, 10)];
        int position = 12;
        string questionName = "";
        ushort questionType = 0;
        for (int i = 0; i < counts[0]; i++)
        {
            questionName = ReadName(message, ref position, out _);
            questionType = U16(message, position);
            position += 4;
        }

        List<ParsedRecord>[] sections = [[], [], []];
        for (int s = 0; s < 3; s++)
        {
            for (int i = 0; i < counts[s + 1]; i++)
            {
                string name = ReadName(message, ref position, out bool compressed);
                ushort type = U16(message, position);
                ushort @class = U16(message, position + 2);
                uint ttl = BinaryPrimitives.ReadUInt32BigEndian(Slice(message, position + 4, 4));
                int length = U16(message, position + 8);
                byte[] data = Slice(message, position + 10, length).ToArray();
                position += 10 + length;
                sections[s].Add(new ParsedRecord(name, type, @class, ttl, data, compressed));
            }
        }

        if (position != message.Length)
        {
            throw new FormatException($"{message.Length - position} bytes after the last record");
        }

        return new ParsedReply(U16(message, 0), U16(message, 2), questionName, questionType, counts[0], sections[0], sections[1], sections[2]);
    }

    /// <summary>Reads a name at <paramref name="position"/>, following pointers; the result is lowercase-insensitive text with a trailing dot.</summary>
    public static string ReadName(ReadOnlySpan<byte> message, ref int position, out bool compressed)
    {
        var text = new StringBuilder();
        compressed = false;
        int cursor = position;
        int end = -1;
        int limit = cursor;
        for (int jumps = 0; ; jumps++)
        {
            int length = Slice(message, cursor, 1)[0];
            if ((length & 0xC0) == 0xC0)
            {
                int target = ((length & 0x3F) << 8) | Slice(message, cursor + 1, 1)[0];
                if (target >= limit || jumps > 128)
                {
                    throw new FormatException($"pointer at {cursor} to {target} does not point backwards");
                }

                compressed = true;
                end = end < 0 ? cursor + 2 : end;
                cursor = limit = target;
                continue;
            }

            if (length > 63)
            {
                throw new FormatException("reserved label type");
            }

            if (length == 0)
            {
                position = end < 0 ? cursor + 1 : end;
                return text.Length == 0 ? "." : text.ToString();
            }

            text.Append(Encoding.Latin1.GetString(Slice(message, cursor + 1, length))).Append('.');
            cursor += 1 + length;
        }
    }

    private static ushort U16(ReadOnlySpan<byte> message, int offset) => BinaryPrimitives.ReadUInt16BigEndian(Slice(message, offset, 2));

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> message, int offset, int length) =>
        offset >= 0 && length >= 0 && offset + length <= message.Length ? message.Slice(offset, length) : throw new FormatException($"read past the end at {offset}+{length}");
}
