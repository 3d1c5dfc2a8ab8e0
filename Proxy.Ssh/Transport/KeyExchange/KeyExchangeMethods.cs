namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>
/// The key exchange methods we implement, in our order of preference for SSH_MSG_KEXINIT: post-quantum hybrids first
/// (recorded traffic stays safe against a future quantum computer), ML-KEM ahead of sntrup761 as OpenSSH 10 orders
/// them, then the classical methods. The client's list decides (RFC 4253 §7.1), so this order matters when we are
/// the client, i.e. toward targets.
/// </summary>
public static class KeyExchangeMethods
{
    public static IReadOnlyList<IKeyExchangeMethod> Supported { get; } =
    [
        HybridKemKeyExchange.MlKem768X25519Sha256(),
        HybridKemKeyExchange.Sntrup761X25519Sha512(HybridKemKeyExchange.Sntrup761X25519Sha512Name),
        HybridKemKeyExchange.Sntrup761X25519Sha512(HybridKemKeyExchange.Sntrup761X25519Sha512OpenSshName),
        new Curve25519KeyExchange(Curve25519KeyExchange.Sha256Name),
        new Curve25519KeyExchange(Curve25519KeyExchange.LibsshName),
        new EcdhNistP256KeyExchange(),
    ];

    /// <summary>The names for the kex_algorithms name-list, most preferred first.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Supported.Select(m => m.Name)];

    private static readonly Dictionary<string, IKeyExchangeMethod> ByName = Supported.ToDictionary(m => m.Name, StringComparer.Ordinal);

    /// <summary>The method negotiated under this name, or false for a name we do not implement.</summary>
    public static bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IKeyExchangeMethod? method) =>
        ByName.TryGetValue(name, out method);
}
