using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Rebound.Cli.Doctor;

/// <summary>
/// An address given with <c>--address</c>, with the interface named after <c>%</c> kept as text: interface names belong
/// to a network namespace, so <c>fe80::11%s1</c> is resolved inside the namespace doctor inspects, not the caller's.
/// </summary>
internal sealed record AddressChoice(IPAddress Address, string? Scope)
{
    /// <summary>Parses <c>192.0.2.1</c>, <c>2001:db8::1</c>, <c>[2001:db8::1]</c>, <c>fe80::1%eth0</c> or <c>fe80::1%3</c>.</summary>
    public static bool TryParse(string text, out AddressChoice choice)
    {
        ArgumentNullException.ThrowIfNull(text);
        choice = new AddressChoice(IPAddress.None, null);
        text = text.Trim().Trim('[', ']');
        int percent = text.IndexOf('%', StringComparison.Ordinal);
        string? scope = percent > 0 ? text[(percent + 1)..] : null;
        if (scope is { Length: 0 } || !IPAddress.TryParse(percent > 0 ? text[..percent] : text, out IPAddress? address))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (scope is not null && address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        choice = new AddressChoice(address, scope);
        return true;
    }

    /// <summary>True when <paramref name="local"/> is this choice: same address, and on the named interface if one was named.</summary>
    public bool Matches(LocalAddress local)
    {
        ArgumentNullException.ThrowIfNull(local);
        return LocalAddress.SameAddressIgnoringScope(local.Address, Address) &&
               (Scope is null || local.Interface == Scope ||
                local.Address.ScopeId.ToString(CultureInfo.InvariantCulture) == Scope);
    }

    public override string ToString() => Scope is null ? Address.ToString() : $"{Address}%{Scope}";
}
