namespace HoopProxy.Ssh.Transport;

/// <summary>
/// RFC 4253 §7.1: for each category the first algorithm on the client's list that the server also lists. OpenSSH's
/// extension markers travel in the key exchange list but are never chosen: ext-info-c/-s (RFC 8308) and
/// kex-strict-c/-s-v00@openssh.com (the Terrapin fix). A category without a common algorithm fails the key exchange,
/// naming both lists so an operator can see what to enable.
/// </summary>
public static class AlgorithmNegotiation
{
    public const string ExtInfoClient = "ext-info-c";
    public const string ExtInfoServer = "ext-info-s";
    public const string StrictClient = "kex-strict-c-v00@openssh.com";
    public const string StrictServer = "kex-strict-s-v00@openssh.com";

    private static readonly HashSet<string> Markers = new(StringComparer.Ordinal) { ExtInfoClient, ExtInfoServer, StrictClient, StrictServer };

    /// <summary>Ciphers whose authentication tag replaces the MAC: no MAC is negotiated for them (as OpenSSH does).</summary>
    private static readonly HashSet<string> AeadCiphers = new(StringComparer.Ordinal)
    {
        "chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
    };

    public static bool IsAead(string cipher) => AeadCiphers.Contains(cipher);

    /// <param name="firstExchange">Strict kex and ext-info are signalled in the first exchange only; later KEXINITs are ignored for them.</param>
    public static NegotiatedAlgorithms Negotiate(KexInit client, KexInit server, bool firstExchange)
    {
        var kex = Choose("key exchange", client.KeyExchange.Where(n => !Markers.Contains(n)), server.KeyExchange);
        var cipherC2S = Choose("cipher client to server", client.CipherClientToServer, server.CipherClientToServer);
        var cipherS2C = Choose("cipher server to client", client.CipherServerToClient, server.CipherServerToClient);
        return new NegotiatedAlgorithms(
            kex,
            Choose("host key", client.HostKey, server.HostKey),
            cipherC2S,
            cipherS2C,
            IsAead(cipherC2S) ? null : Choose("MAC client to server", client.MacClientToServer, server.MacClientToServer),
            IsAead(cipherS2C) ? null : Choose("MAC server to client", client.MacServerToClient, server.MacServerToClient),
            Choose("compression client to server", client.CompressionClientToServer, server.CompressionClientToServer),
            Choose("compression server to client", client.CompressionServerToClient, server.CompressionServerToClient),
            StrictKeyExchange: firstExchange && client.KeyExchange.Contains(StrictClient) && server.KeyExchange.Contains(StrictServer),
            ClientWantsExtInfo: firstExchange && client.KeyExchange.Contains(ExtInfoClient),
            ServerWantsExtInfo: firstExchange && server.KeyExchange.Contains(ExtInfoServer));
    }

    /// <summary>
    /// RFC 4253 §7: a guessed first key exchange packet is right only when both sides' first key exchange and host key
    /// algorithms are the same; otherwise the receiver must ignore that packet.
    /// </summary>
    public static bool GuessWasRight(KexInit client, KexInit server, NegotiatedAlgorithms agreed) =>
        client.KeyExchange.FirstOrDefault(n => !Markers.Contains(n)) == agreed.KeyExchange
        && server.KeyExchange.FirstOrDefault(n => !Markers.Contains(n)) == agreed.KeyExchange
        && client.HostKey.FirstOrDefault() == agreed.HostKey
        && server.HostKey.FirstOrDefault() == agreed.HostKey;

    private static string Choose(string category, IEnumerable<string> client, IReadOnlyList<string> server)
    {
        var clientList = client.ToList();
        foreach (var name in clientList)
        {
            if (server.Contains(name, StringComparer.Ordinal))
            {
                return name;
            }
        }

        throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed,
            $"no common {category} algorithm: client offers [{string.Join(",", clientList)}], server offers [{string.Join(",", server)}]");
    }
}
