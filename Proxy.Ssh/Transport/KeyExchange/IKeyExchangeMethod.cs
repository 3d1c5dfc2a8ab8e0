using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>
/// One ECDH-style key exchange method (RFC 5656 §4, RFC 8731, and OpenSSH's hybrid KEM methods): the client sends one
/// value Q_C in SSH_MSG_KEX_ECDH_INIT, the server answers with Q_S in SSH_MSG_KEX_ECDH_REPLY, and both arrive at the
/// same shared secret K. Instances are stateless and shared; each exchange gets its own object from
/// <see cref="CreateClient"/> or a single call to <see cref="Respond"/>.
/// </summary>
public interface IKeyExchangeMethod
{
    /// <summary>The name negotiated in SSH_MSG_KEXINIT, e.g. <c>curve25519-sha256</c>.</summary>
    string Name { get; }

    /// <summary>HASH of the method: the exchange hash H and the key derivation use it.</summary>
    HashAlgorithmName Hash { get; }

    /// <summary>The client side: fresh ephemeral keys, whose public half is Q_C.</summary>
    IKeyExchangeClient CreateClient();

    /// <summary>
    /// The server side, in one step: checks the client's Q_C, makes fresh ephemeral keys and returns Q_S with K.
    /// A malformed Q_C throws <see cref="SshProtocolException"/> with <see cref="SshDisconnectReason.KeyExchangeFailed"/>.
    /// </summary>
    KeyExchangeResponse Respond(ReadOnlySpan<byte> clientValue);
}

/// <summary>The client's half of one exchange. Dispose it when the exchange ends (its ephemeral private keys are zeroed).</summary>
public interface IKeyExchangeClient : IDisposable
{
    /// <summary>Q_C, the value sent in SSH_MSG_KEX_ECDH_INIT.</summary>
    ReadOnlyMemory<byte> ClientValue { get; }

    /// <summary>
    /// K from the server's Q_S (SSH_MSG_KEX_ECDH_REPLY). A malformed Q_S throws <see cref="SshProtocolException"/> with
    /// <see cref="SshDisconnectReason.KeyExchangeFailed"/>. Callable once: the ephemeral private keys are zeroed by the first call, whatever its outcome.
    /// </summary>
    SharedSecret ComputeSharedSecret(ReadOnlySpan<byte> serverValue);
}

/// <summary>What the server sends (Q_S) and what it keeps (K). Disposing it zeroes K.</summary>
public sealed class KeyExchangeResponse(byte[] serverValue, SharedSecret sharedSecret) : IDisposable
{
    /// <summary>Q_S, the value sent in SSH_MSG_KEX_ECDH_REPLY.</summary>
    public ReadOnlyMemory<byte> ServerValue { get; } = serverValue;

    public SharedSecret SharedSecret { get; } = sharedSecret;

    public void Dispose() => SharedSecret.Dispose();
}
