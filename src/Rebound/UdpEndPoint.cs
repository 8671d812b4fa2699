using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rebound;

/// <summary>
/// An IP address and port held by value. <see cref="IPEndPoint"/> is a class, so receiving into it allocates; Rebound's
/// hot path reports addresses as this struct instead, and converts to <see cref="IPEndPoint"/> only when asked.
/// </summary>
/// <remarks>
/// IPv4 addresses are kept in their IPv4-mapped IPv6 form internally; <see cref="IsIPv4"/> tells which family the
/// endpoint belongs to. An IPv6 endpoint may itself hold a v4-mapped address (a dual-stack socket's IPv4 client).
/// </remarks>
public readonly struct UdpEndPoint : IEquatable<UdpEndPoint>, ISpanFormattable
{
    private readonly AddressBytes _address;

    private UdpEndPoint(in AddressBytes address, ushort port, uint scopeId, bool isIPv4)
    {
        _address = address;
        Port = port;
        ScopeId = scopeId;
        IsIPv4 = isIPv4;
    }

    /// <summary>The UDP port, in host byte order.</summary>
    public ushort Port { get; }

    /// <summary>The IPv6 scope (interface index) of a link-local address; 0 otherwise.</summary>
    public uint ScopeId { get; }

    /// <summary>True when this is an IPv4 endpoint (AF_INET), false for IPv6 (AF_INET6).</summary>
    public bool IsIPv4 { get; }

    /// <summary>The address family, as <see cref="System.Net.Sockets"/> names it.</summary>
    public AddressFamily AddressFamily => IsIPv4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;

    /// <summary>True for an IPv6 endpoint whose address is IPv4-mapped (<c>::ffff:a.b.c.d</c>).</summary>
    public bool IsIPv4MappedToIPv6 => !IsIPv4 && HasMappedPrefix;

    /// <summary>True for an IPv6 link-local unicast address (fe80::/10), which is only meaningful with an interface.</summary>
    public bool IsIPv6LinkLocal => !IsIPv4 && _address[0] == 0xFE && (_address[1] & 0xC0) == 0x80;

    /// <summary>True for a multicast address (224.0.0.0/4 or ff00::/8, v4-mapped included).</summary>
    public bool IsMulticast => IsIPv4 || HasMappedPrefix ? (_address[12] & 0xF0) == 0xE0 : _address[0] == 0xFF;

    /// <summary>True for the limited broadcast address 255.255.255.255 (v4-mapped included).</summary>
    public bool IsLimitedBroadcast => (IsIPv4 || HasMappedPrefix) && BinaryPrimitives.ReadUInt32BigEndian(V4Bytes) == uint.MaxValue;

    /// <summary>True for 0.0.0.0 or ::.</summary>
    public bool IsUnspecified => IsIPv4 ? BinaryPrimitives.ReadUInt32BigEndian(V4Bytes) == 0 : IsAllZero;

    /// <summary>The IPv4 address in network byte order, as the four bytes on the wire (valid for IPv4 and v4-mapped).</summary>
    internal ReadOnlySpan<byte> V4Bytes => Bytes[12..];

    /// <summary>The IPv4 address (or a v4-mapped one's IPv4 part) as a number in host order.</summary>
    internal uint IPv4Value => BinaryPrimitives.ReadUInt32BigEndian(V4Bytes);

    /// <summary>The 16-byte IPv6 form of the address (IPv4 as v4-mapped).</summary>
    internal ReadOnlySpan<byte> Bytes => MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in _address[0]), 16);

    private bool HasMappedPrefix =>
        BinaryPrimitives.ReadUInt64BigEndian(Bytes) == 0 && BinaryPrimitives.ReadUInt32BigEndian(Bytes[8..]) == 0xFFFF;

    private bool IsAllZero => BinaryPrimitives.ReadUInt64BigEndian(Bytes) == 0 && BinaryPrimitives.ReadUInt64BigEndian(Bytes[8..]) == 0;

    /// <summary>Makes an IPv4 endpoint from the four address bytes in network order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static UdpEndPoint FromIPv4(ReadOnlySpan<byte> address, ushort port)
    {
        if (address.Length != 4)
        {
            throw new ArgumentException("An IPv4 address has 4 bytes.", nameof(address));
        }

        AddressBytes bytes = default;
        bytes[10] = 0xFF;
        bytes[11] = 0xFF;
        address.CopyTo(((Span<byte>)bytes)[12..]);
        return new UdpEndPoint(bytes, port, 0, isIPv4: true);
    }

    /// <summary>
    /// Makes an IPv4 endpoint from the address as a number in host order, as read big-endian off the wire and as
    /// <see cref="IPv4Value"/> gives it (the per-datagram decode: no span, no length check, inlined).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static UdpEndPoint FromIPv4(uint address, ushort port)
    {
        AddressBytes bytes = default;
        Span<byte> span = bytes;
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], 0xFFFF);
        BinaryPrimitives.WriteUInt32BigEndian(span[12..], address);
        return new UdpEndPoint(bytes, port, 0, isIPv4: true);
    }

    /// <summary>Makes an IPv6 endpoint from the sixteen address bytes in network order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static UdpEndPoint FromIPv6(ReadOnlySpan<byte> address, ushort port, uint scopeId = 0)
    {
        if (address.Length != 16)
        {
            throw new ArgumentException("An IPv6 address has 16 bytes.", nameof(address));
        }

        AddressBytes bytes = default;
        address.CopyTo(bytes);
        return new UdpEndPoint(bytes, port, scopeId, isIPv4: false);
    }

    /// <summary>Converts from an <see cref="IPEndPoint"/>.</summary>
    public static UdpEndPoint FromIPEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return FromIPAddress(endPoint.Address, checked((ushort)endPoint.Port));
    }

    /// <summary>Converts from an <see cref="IPAddress"/> and a port.</summary>
    public static UdpEndPoint FromIPAddress(IPAddress address, ushort port)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> buffer = stackalloc byte[16];
        address.TryWriteBytes(buffer, out int written);
        return written == 4
            ? FromIPv4(buffer[..4], port)
            : FromIPv6(buffer, port, (uint)address.ScopeId);
    }

    /// <summary>Parses <c>1.2.3.4:53</c>, <c>[2001:db8::1]:53</c> or <c>[fe80::1%eth0]:53</c>.</summary>
    public static UdpEndPoint Parse(string text) => FromIPEndPoint(IPEndPoint.Parse(text));

    /// <summary>The same address with another port.</summary>
    public UdpEndPoint WithPort(ushort port) => new(_address, port, ScopeId, IsIPv4);

    /// <summary>The same address with another IPv6 scope (interface index).</summary>
    public UdpEndPoint WithScopeId(uint scopeId) => new(_address, Port, scopeId, IsIPv4);

    /// <summary>The IPv6 form: v4-mapped for an IPv4 endpoint, unchanged otherwise.</summary>
    public UdpEndPoint MapToIPv6() => new(_address, Port, ScopeId, isIPv4: false);

    /// <summary>The IPv4 form of an IPv4 or v4-mapped endpoint; unchanged for other IPv6 endpoints.</summary>
    public UdpEndPoint MapToIPv4() => IsIPv4 || !HasMappedPrefix ? this : new(_address, Port, 0, isIPv4: true);

    /// <summary>The address as an <see cref="IPAddress"/> (allocates).</summary>
    public IPAddress ToIPAddress() => IsIPv4
        ? new IPAddress(V4Bytes)
        : new IPAddress(Bytes, ScopeId);

    /// <summary>
    /// Writes the address's bytes, network order (4 for IPv4, 16 for IPv6), as <see cref="IPAddress.TryWriteBytes"/>
    /// does but without allocating an <see cref="IPAddress"/>; false when <paramref name="destination"/> is too short.
    /// </summary>
    public bool TryWriteAddressBytes(Span<byte> destination, out int bytesWritten)
    {
        ReadOnlySpan<byte> bytes = IsIPv4 ? V4Bytes : Bytes;
        bytesWritten = bytes.TryCopyTo(destination) ? bytes.Length : 0;
        return bytesWritten != 0;
    }

    /// <summary>The endpoint as an <see cref="IPEndPoint"/> (allocates).</summary>
    public IPEndPoint ToIPEndPoint() => new(ToIPAddress(), Port);

    /// <inheritdoc/>
    public bool Equals(UdpEndPoint other) =>
        Port == other.Port && ScopeId == other.ScopeId && IsIPv4 == other.IsIPv4 && Bytes.SequenceEqual(other.Bytes);

    /// <summary>True when both endpoints name the same address, ignoring ports and the IPv4/v4-mapped distinction.</summary>
    public bool HasSameAddress(UdpEndPoint other) => Bytes.SequenceEqual(other.Bytes) && (IsIPv6LinkLocal ? ScopeId == other.ScopeId : true);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is UdpEndPoint other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Bytes);
        hash.Add(Port);
        hash.Add(ScopeId);
        hash.Add(IsIPv4);
        return hash.ToHashCode();
    }

    /// <summary>Compares two endpoints.</summary>
    public static bool operator ==(UdpEndPoint left, UdpEndPoint right) => left.Equals(right);

    /// <summary>Compares two endpoints.</summary>
    public static bool operator !=(UdpEndPoint left, UdpEndPoint right) => !left.Equals(right);

    /// <summary>Formats as <c>1.2.3.4:53</c> or <c>[2001:db8::1]:53</c>.</summary>
    public override string ToString() => ToString(null, null);

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        Span<char> buffer = stackalloc char[72];
        return TryFormat(buffer, out int written, format, formatProvider) ? new string(buffer[..written]) : ToIPEndPoint().ToString();
    }

    /// <summary>Formats without allocating. Format "a" writes the address alone, without the port.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        bool addressOnly = format.SequenceEqual("a");
        return EndpointFormatter.TryFormat(this, addressOnly, destination, out charsWritten);
    }

    [InlineArray(16)]
    private struct AddressBytes
    {
        private byte _element0;
    }
}
