using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>
/// The two TCP ends of a forwarded channel as the pcap shows them, and what had to be made up for them (a name's
/// address, a port), said in <see cref="Notes"/> so the export can print it.
/// </summary>
public sealed record ForwardedConnection(TcpEndpoint Initiator, TcpEndpoint Responder, IReadOnlyList<string> Notes);

/// <summary>
/// Turns the <c>originator</c> and <c>host</c>/<c>port</c> of channel-open events into TCP endpoints, one pair per
/// channel that no other channel of the session has, so Wireshark sees one conversation per channel.
/// <list type="bullet">
/// <item>IP literals are kept. A conversation is IPv6 when either end is an IPv6 literal (an IPv4 literal at the other
/// end is then written as <c>::ffff:a.b.c.d</c>, which keeps its value), else IPv4.</item>
/// <item>Names get a synthetic address (<see cref="SyntheticAddresses"/>); so does an originator that is missing.</item>
/// <item>The originator's port is kept when it is a port (1–65535) and the pair it makes is not taken yet; else, and for
/// a destination port that is not one, a port from the dynamic range (49152–65535) is used. OpenSSH reports
/// 127.0.0.1:65535 as the originator of every <c>ssh -W</c>, so two of them in one session need this.</item>
/// </list>
/// </summary>
public sealed class ForwardedEndpoints
{
    private const ushort FirstDynamicPort = 49152;

    private readonly HashSet<(TcpEndpoint, TcpEndpoint)> _taken = [];
    private ushort _nextDynamicPort = FirstDynamicPort;

    public SyntheticAddresses Names { get; } = new();

    /// <param name="host">The destination as the channel-open names it (direct-tcpip: the host the client asked for;
    /// forwarded-tcpip: the address the target listened on).</param>
    /// <param name="originator"><c>address:port</c> of the end that connected, as the channel-open reports it.</param>
    public ForwardedConnection Assign(string? host, long? port, string? originator)
    {
        var notes = new List<string>();
        var (originatorHost, originatorPort) = SplitOriginator(originator);
        var destinationHost = string.IsNullOrEmpty(host) ? "unknown-destination" : host;
        var sourceHost = string.IsNullOrEmpty(originatorHost) ? "unknown-originator" : originatorHost;

        var sourceLiteral = SyntheticAddresses.Literal(sourceHost);
        var destinationLiteral = SyntheticAddresses.Literal(destinationHost);
        var family = sourceLiteral?.AddressFamily == AddressFamily.InterNetworkV6 || destinationLiteral?.AddressFamily == AddressFamily.InterNetworkV6
            ? AddressFamily.InterNetworkV6
            : AddressFamily.InterNetwork;
        var source = Address(sourceHost, sourceLiteral, family, notes);
        var destination = Address(destinationHost, destinationLiteral, family, notes);

        var destinationEnd = new TcpEndpoint(destination, IsPort(port) ? (ushort)port!.Value : NextDynamicPort(_ => false));
        if (!IsPort(port))
        {
            notes.Add($"destination port {Show(port)} shown as {destinationEnd.Port.ToString(CultureInfo.InvariantCulture)}");
        }

        var sourcePort = IsPort(originatorPort) && !_taken.Contains((new TcpEndpoint(source, (ushort)originatorPort!.Value), destinationEnd))
            ? (ushort)originatorPort.Value
            : NextDynamicPort(candidate => _taken.Contains((new TcpEndpoint(source, candidate), destinationEnd)));
        if (sourcePort != originatorPort)
        {
            notes.Add(IsPort(originatorPort)
                ? $"originator port {Show(originatorPort)} shown as {sourcePort.ToString(CultureInfo.InvariantCulture)}: an earlier channel has the same ends"
                : $"originator port {Show(originatorPort)} shown as {sourcePort.ToString(CultureInfo.InvariantCulture)}");
        }

        var sourceEnd = new TcpEndpoint(source, sourcePort);
        _taken.Add((sourceEnd, destinationEnd));
        return new ForwardedConnection(sourceEnd, destinationEnd, notes);
    }

    /// <summary>"addr:port", "[v6]:port" or a v6 address and port joined by a colon ("::1:5000", as the proxy writes it).</summary>
    public static (string? Host, long? Port) SplitOriginator(string? originator)
    {
        if (string.IsNullOrEmpty(originator))
        {
            return (null, null);
        }

        var colon = originator.LastIndexOf(':');
        if (colon < 0 || !long.TryParse(originator.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            return (originator, null);
        }

        var host = originator[..colon];
        return (host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host, port);
    }

    private IPAddress Address(string host, IPAddress? literal, AddressFamily family, List<string> notes)
    {
        if (literal is null)
        {
            var synthetic = Names.For(host, family);
            notes.Add($"{host} shown as {synthetic}");
            return synthetic;
        }

        return family == AddressFamily.InterNetworkV6 ? literal.MapToIPv6() : literal;
    }

    private static bool IsPort(long? port) => port is >= 1 and <= ushort.MaxValue;

    private static string Show(long? port) => port?.ToString(CultureInfo.InvariantCulture) ?? "(none)";

    /// <summary>The next port of the dynamic range, going round, that <paramref name="taken"/> does not refuse.</summary>
    private ushort NextDynamicPort(Func<ushort, bool> taken)
    {
        for (var tries = 0; tries <= ushort.MaxValue - FirstDynamicPort; tries++)
        {
            var candidate = _nextDynamicPort;
            _nextDynamicPort = candidate == ushort.MaxValue ? FirstDynamicPort : (ushort)(candidate + 1);
            if (!taken(candidate))
            {
                return candidate;
            }
        }

        // Every port of the range is taken toward this destination: more than 16384 channels to one place. The
        // conversations then share ends; Wireshark still tells them apart by their SYNs.
        return _nextDynamicPort;
    }
}
