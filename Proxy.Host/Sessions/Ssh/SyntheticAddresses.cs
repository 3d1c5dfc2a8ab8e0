using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>
/// Stands an IP address in for each host name a forwarded channel names ("localhost", "db.internal"): a packet needs an
/// address, and the recording has the name only (the target resolved it). The n-th distinct name of a session (names
/// compared without case, as DNS does) is 198.18.0.0 + n in an IPv4 conversation and 2001:2::n in an IPv6 one — the
/// benchmarking ranges of RFC 2544 and RFC 5180, which no real network routes, so a synthetic address is never
/// mistaken for a real one. The export prints the list, as a hosts file Wireshark can resolve them with.
/// </summary>
public sealed class SyntheticAddresses
{
    private static readonly IPAddress Ipv4Base = IPAddress.Parse("198.18.0.0");
    private static readonly IPAddress Ipv6Base = IPAddress.Parse("2001:2::");

    /// <summary>198.18.0.0/15 holds 2^17 addresses; past that (never seen in practice) numbers wrap and names share addresses.</summary>
    private const uint Ipv4Count = 1u << 17;

    private readonly Dictionary<string, uint> _numbers = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(IPAddress Address, string Name)> _assigned = [];
    private readonly HashSet<IPAddress> _given = [];

    /// <summary>Every synthetic address given out, in order, with its name.</summary>
    public IReadOnlyList<(IPAddress Address, string Name)> Assigned => _assigned;

    /// <summary>The address of <paramref name="host"/> when it is an IP literal (a v4-mapped IPv6 literal counts as IPv4), else null.</summary>
    public static IPAddress? Literal(string host)
    {
        var text = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        // IPAddress.TryParse also takes "127.1" and "1234" as IPv4; only the dotted quad and IPv6's colon form are literals.
        var looksLiteral = text.Contains(':', StringComparison.Ordinal) || text.Count(c => c == '.') == 3;
        if (!looksLiteral || !IPAddress.TryParse(text, out var address))
        {
            return null;
        }

        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    /// <summary>The synthetic address of <paramref name="name"/> in the given family; the same name always gets the same number.</summary>
    public IPAddress For(string name, AddressFamily family)
    {
        if (!_numbers.TryGetValue(name, out var number))
        {
            number = (uint)_numbers.Count % (Ipv4Count - 1) + 1;
            _numbers[name] = number;
        }

        // Both ranges have zeros below the number's bits: the number is written into the address's last four bytes.
        var bytes = (family == AddressFamily.InterNetworkV6 ? Ipv6Base : Ipv4Base).GetAddressBytes();
        var last = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(bytes.Length - 4));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(bytes.Length - 4), last | number);
        var address = new IPAddress(bytes);
        if (_given.Add(address))
        {
            _assigned.Add((address, name));
        }

        return address;
    }
}
