using System.Security.Cryptography;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>
/// What both sides hash into H for an ECDH-style exchange (RFC 5656 §4, RFC 8731 §3; OpenSSH's kex_gen_hash).
/// </summary>
/// <param name="ClientVersion">V_C, the client's identification line without CR LF, as the bytes that were sent.</param>
/// <param name="ServerVersion">V_S, the server's identification line without CR LF.</param>
/// <param name="ClientKexInit">I_C, the payload of the client's SSH_MSG_KEXINIT, starting with the message number 20.</param>
/// <param name="ServerKexInit">I_S, the payload of the server's SSH_MSG_KEXINIT.</param>
/// <param name="ServerHostKey">K_S, the server's public host key blob.</param>
/// <param name="ClientValue">Q_C from SSH_MSG_KEX_ECDH_INIT.</param>
/// <param name="ServerValue">Q_S from SSH_MSG_KEX_ECDH_REPLY.</param>
public sealed record ExchangeHashInput(
    ReadOnlyMemory<byte> ClientVersion,
    ReadOnlyMemory<byte> ServerVersion,
    ReadOnlyMemory<byte> ClientKexInit,
    ReadOnlyMemory<byte> ServerKexInit,
    ReadOnlyMemory<byte> ServerHostKey,
    ReadOnlyMemory<byte> ClientValue,
    ReadOnlyMemory<byte> ServerValue);

/// <summary>The exchange hash H; the first one of a connection is also its session identifier.</summary>
public static class ExchangeHash
{
    /// <summary>
    /// H = HASH(string V_C || string V_S || string I_C || string I_S || string K_S || string Q_C || string Q_S || K),
    /// with K as <paramref name="sharedSecret"/> encodes itself (mpint or string). The server signs H with its host key;
    /// the client verifies that signature.
    /// </summary>
    public static byte[] Compute(HashAlgorithmName hash, ExchangeHashInput input, SharedSecret sharedSecret)
    {
        RequireNoLineEnd(input.ClientVersion.Span, nameof(input.ClientVersion));
        RequireNoLineEnd(input.ServerVersion.Span, nameof(input.ServerVersion));
        RequireKexInit(input.ClientKexInit.Span, nameof(input.ClientKexInit));
        RequireKexInit(input.ServerKexInit.Span, nameof(input.ServerKexInit));

        using var hashing = new HashingBufferWriter(hash);
        var writer = new SshWriter(hashing);
        writer.WriteString(input.ClientVersion.Span);
        writer.WriteString(input.ServerVersion.Span);
        writer.WriteString(input.ClientKexInit.Span);
        writer.WriteString(input.ServerKexInit.Span);
        writer.WriteString(input.ServerHostKey.Span);
        writer.WriteString(input.ClientValue.Span);
        writer.WriteString(input.ServerValue.Span);
        writer.WriteRaw(sharedSecret.Encoded);
        return hashing.Finish();
    }

    // Both checks catch a caller's mistake (a line end left on, a packet instead of a payload): H would differ from the
    // peer's and the failure would show only as a bad host key signature.
    private static void RequireNoLineEnd(ReadOnlySpan<byte> version, string name)
    {
        if (version.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            throw new ArgumentException("the identification string goes into H without its CR LF", name);
        }
    }

    private static void RequireKexInit(ReadOnlySpan<byte> payload, string name)
    {
        const byte SshMsgKexInit = 20;
        if (payload.IsEmpty || payload[0] != SshMsgKexInit)
        {
            throw new ArgumentException("a KEXINIT payload starts with the message number 20", name);
        }
    }
}
