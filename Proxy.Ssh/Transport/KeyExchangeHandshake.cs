using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using HoopProxy.Ssh.Keys;
using HoopProxy.Ssh.Transport.Crypto;
using HoopProxy.Ssh.Transport.KeyExchange;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Transport;

/// <summary>Our algorithm lists, in preference order, for one side of a connection.</summary>
public sealed record TransportPreferences
{
    public IReadOnlyList<string> KeyExchange { get; init; } = KeyExchangeMethods.Names;
    public IReadOnlyList<string> HostKey { get; init; } = [SshKeyAlgorithms.Ed25519, SshKeyAlgorithms.EcdsaP256, SshKeyAlgorithms.RsaSha512, SshKeyAlgorithms.RsaSha256];
    /// <summary>
    /// AES-GCM first: with AES-NI it is an order of magnitude faster than our chacha20-poly1305 (see docs/ssh.md). As a
    /// server the client's order wins anyway (OpenSSH prefers chacha20-poly1305).
    /// </summary>
    public IReadOnlyList<string> Ciphers { get; init; } =
        [CipherAlgorithm.Aes128GcmName, CipherAlgorithm.Aes256GcmName, CipherAlgorithm.ChaCha20Poly1305Name, CipherAlgorithm.Aes128CtrName, CipherAlgorithm.Aes256CtrName];

    public IReadOnlyList<string> Macs { get; init; } = [.. MacAlgorithm.Preferred.Select(m => m.Name)];

    /// <summary>
    /// What the proxy offers when it is the client, toward targets: ML-KEM hybrid first, then curve25519 ahead of
    /// sntrup761. BouncyCastle's sntrup761 costs about 90 ms of CPU per client handshake (key generation and
    /// decapsulation; measured, docs/ssh.md), more than the rest of a login; OpenSSH servers before 9.9 have no ML-KEM
    /// and would otherwise pick sntrup761 for every session the proxy opens.
    /// </summary>
    public static TransportPreferences TowardTargets { get; } = new()
    {
        KeyExchange =
        [
            "mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org", "sntrup761x25519-sha512",
            "sntrup761x25519-sha512@openssh.com", "ecdh-sha2-nistp256",
        ],
    };
}

/// <summary>What a completed first key exchange established.</summary>
/// <param name="SessionId">H of the first exchange: signed over in public key authentication.</param>
/// <param name="ServerHostKey">The server's host key (checked by the client; the server's own on the server side).</param>
public sealed record HandshakeResult(byte[] SessionId, NegotiatedAlgorithms Algorithms, string PeerVersion, SshPublicKey ServerHostKey);

/// <summary>
/// How key exchange messages leave: straight onto the stream during the first exchange; through the transport's send
/// lock during a rekey, where our NEWKEYS also releases the messages held back while the keys changed.
/// </summary>
internal interface IKeyExchangeOutput
{
    /// <summary>Sends one key exchange message and flushes it.</summary>
    ValueTask SendAsync(byte[] payload, CancellationToken cancellationToken);

    /// <summary>Sends NEWKEYS, then protects what follows with <paramref name="outgoing"/>.</summary>
    ValueTask SendNewKeysAsync(PacketProtection outgoing, bool resetSequence, CancellationToken cancellationToken);
}

/// <summary>One key exchange after both KEXINITs are known: the inputs of the exchange hash and what was agreed.</summary>
/// <param name="SessionId">The first exchange's hash; null during the first exchange (its own hash becomes it).</param>
/// <param name="ResetSequence">Strict kex was agreed in the first exchange: every NEWKEYS restarts the sequence numbers.</param>
internal sealed record KeyExchangeRound(byte[] ClientVersion, byte[] ServerVersion, KexInit ClientInit, KexInit ServerInit,
    NegotiatedAlgorithms Agreed, byte[]? SessionId, bool ResetSequence);

/// <summary>
/// The identification strings and the key exchanges of RFC 4253 §4–§8 for the ECDH-style methods (message 30/31), in
/// either role, up to and including NEWKEYS in both directions (and, on the server, EXT_INFO with server-sig-algs after
/// the first one when the client asked for it). Strict kex (the Terrapin fix): when both sides signalled it, the peer's
/// KEXINIT must be its first packet, nothing else may arrive before NEWKEYS, and sequence numbers restart at every NEWKEYS.
/// <see cref="SshTransport"/> runs the later exchanges (rekeying) with <see cref="CompleteAsClientAsync"/> and
/// <see cref="CompleteAsServerAsync"/>.
/// </summary>
public static class KeyExchangeHandshake
{
    /// <param name="acceptHostKey">Decides whether the server's host key is the expected one (a pinned fingerprint), before anything is sent with the new keys.</param>
    public static async Task<HandshakeResult> RunClientAsync(SshPacketStream stream, TransportPreferences preferences,
        Func<SshPublicKey, bool> acceptHostKey, CancellationToken cancellationToken)
    {
        var (ourVersion, peerVersion) = await ExchangeVersionsAsync(stream, cancellationToken);
        var ours = OurKexInit(preferences, preferences.HostKey, clientSide: true, firstExchange: true);
        var (peers, agreed) = await ExchangeKexInitsAsync(stream, ours, clientSide: true, cancellationToken);
        var round = new KeyExchangeRound(ourVersion, peerVersion, ours, peers, agreed, SessionId: null, agreed.StrictKeyExchange);
        var (hash, hostKey) = await CompleteAsClientAsync(stream, new DirectOutput(stream), round, acceptHostKey, cancellationToken);
        return new HandshakeResult(hash, agreed, Encoding.ASCII.GetString(peerVersion), hostKey);
    }

    public static async Task<HandshakeResult> RunServerAsync(SshPacketStream stream, TransportPreferences preferences, SshPrivateKey hostKey,
        CancellationToken cancellationToken)
    {
        var (ourVersion, peerVersion) = await ExchangeVersionsAsync(stream, cancellationToken);
        var ours = OurKexInit(preferences, HostKeyAlgorithms(preferences, hostKey), clientSide: false, firstExchange: true);
        var (peers, agreed) = await ExchangeKexInitsAsync(stream, ours, clientSide: false, cancellationToken);
        var round = new KeyExchangeRound(peerVersion, ourVersion, peers, ours, agreed, SessionId: null, agreed.StrictKeyExchange);
        var hash = await CompleteAsServerAsync(stream, new DirectOutput(stream), round, hostKey, cancellationToken);
        if (agreed.ClientWantsExtInfo)
        {
            // RFC 8308: lets OpenSSH clients offer RSA keys with SHA-2 signatures.
            stream.WritePayload(Message(SshMessageNumber.ExtInfo, w =>
            {
                w.WriteUInt32(1);
                w.WriteUtf8("server-sig-algs");
                w.WriteNameList([SshKeyAlgorithms.Ed25519, SshKeyAlgorithms.EcdsaP256, SshKeyAlgorithms.RsaSha512, SshKeyAlgorithms.RsaSha256]);
            }));
            await stream.FlushAsync(cancellationToken);
        }

        return new HandshakeResult(hash, agreed, Encoding.ASCII.GetString(peerVersion), hostKey.PublicKey);
    }

    internal static IReadOnlyList<string> HostKeyAlgorithms(TransportPreferences preferences, SshPrivateKey hostKey) =>
        preferences.HostKey.Where(hostKey.SignatureAlgorithms.Contains).ToArray();

    /// <summary>The client's side after the KEXINITs: ECDH_INIT, the reply checked (host key, signature), NEWKEYS both ways.</summary>
    internal static async Task<(byte[] Hash, SshPublicKey HostKey)> CompleteAsClientAsync(SshPacketStream stream, IKeyExchangeOutput output,
        KeyExchangeRound round, Func<SshPublicKey, bool> acceptHostKey, CancellationToken cancellationToken)
    {
        var agreed = round.Agreed;
        var method = MethodFor(agreed);
        using var exchange = method.CreateClient();
        await output.SendAsync(Message(SshMessageNumber.KexEcdhInit, w => w.WriteString(exchange.ClientValue.Span)), cancellationToken);

        var reply = await ReadKexMessageAsync(stream, SshMessageNumber.KexEcdhReply, round, cancellationToken);
        var reader = new SshReader(reply);
        reader.ReadByte();
        var hostKeyBlob = reader.ReadString().ToArray();
        var serverValue = reader.ReadString().ToArray();
        var signature = reader.ReadString().ToArray();
        reader.ExpectEnd("SSH_MSG_KEX_ECDH_REPLY");

        var hostKey = SshPublicKey.ParseBlob(hostKeyBlob);
        if (SshKeyAlgorithms.KeyTypeOf(agreed.HostKey) != hostKey.KeyType)
        {
            throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, $"the server's host key is {hostKey.KeyType}, not the negotiated {agreed.HostKey}");
        }

        if (!acceptHostKey(hostKey))
        {
            throw new SshProtocolException(SshDisconnectReason.HostKeyNotVerifiable,
                $"the server's host key {hostKey.Fingerprint} is not the one configured for this target");
        }

        using var secret = exchange.ComputeSharedSecret(serverValue);
        var hash = ExchangeHash.Compute(method.Hash, new ExchangeHashInput(round.ClientVersion, round.ServerVersion, round.ClientInit.Payload,
            round.ServerInit.Payload, hostKeyBlob, exchange.ClientValue, serverValue), secret);
        if (!hostKey.Verify(agreed.HostKey, hash, signature))
        {
            throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, "the server's signature over the exchange hash does not verify");
        }

        await SwitchKeysAsync(stream, output, method, secret, hash, round, clientSide: true, cancellationToken);
        return (hash, hostKey);
    }

    /// <summary>The server's side after the KEXINITs: ECDH_INIT read, the signed reply, NEWKEYS both ways.</summary>
    internal static async Task<byte[]> CompleteAsServerAsync(SshPacketStream stream, IKeyExchangeOutput output, KeyExchangeRound round,
        SshPrivateKey hostKey, CancellationToken cancellationToken)
    {
        var agreed = round.Agreed;
        var method = MethodFor(agreed);
        var init = await ReadKexMessageAsync(stream, SshMessageNumber.KexEcdhInit, round, cancellationToken);
        var reader = new SshReader(init);
        reader.ReadByte();
        var clientValue = reader.ReadString().ToArray();
        reader.ExpectEnd("SSH_MSG_KEX_ECDH_INIT");

        using var response = method.Respond(clientValue);
        var hostKeyBlob = hostKey.PublicKey.Blob.ToArray();
        var hash = ExchangeHash.Compute(method.Hash, new ExchangeHashInput(round.ClientVersion, round.ServerVersion, round.ClientInit.Payload,
            round.ServerInit.Payload, hostKeyBlob, clientValue, response.ServerValue), response.SharedSecret);
        var signature = hostKey.Sign(agreed.HostKey, hash);
        await output.SendAsync(Message(SshMessageNumber.KexEcdhReply, w =>
        {
            w.WriteString(hostKeyBlob);
            w.WriteString(response.ServerValue.Span);
            w.WriteString(signature);
        }), cancellationToken);

        await SwitchKeysAsync(stream, output, method, response.SharedSecret, hash, round, clientSide: false, cancellationToken);
        return hash;
    }

    private static async Task<(byte[] Ours, byte[] Peers)> ExchangeVersionsAsync(SshPacketStream stream, CancellationToken cancellationToken)
    {
        VersionExchange.WriteOurs(stream.Output);
        await stream.FlushAsync(cancellationToken);
        var peer = await VersionExchange.ReadPeersAsync(stream.Input, cancellationToken);
        return (Encoding.ASCII.GetBytes(VersionExchange.OurVersion), Encoding.ASCII.GetBytes(peer));
    }

    /// <summary>Our KEXINIT; the ext-info and strict-kex markers go only into the first one (OpenSSH ignores them later).</summary>
    internal static KexInit OurKexInit(TransportPreferences preferences, IReadOnlyList<string> hostKeys, bool clientSide, bool firstExchange)
    {
        IReadOnlyList<string> markers = !firstExchange ? []
            : clientSide ? [AlgorithmNegotiation.ExtInfoClient, AlgorithmNegotiation.StrictClient]
            : [AlgorithmNegotiation.StrictServer];
        return new KexInit
        {
            Cookie = RandomNumberGenerator.GetBytes(KexInit.CookieLength),
            KeyExchange = [.. preferences.KeyExchange, .. markers],
            HostKey = hostKeys,
            CipherClientToServer = preferences.Ciphers,
            CipherServerToClient = preferences.Ciphers,
            MacClientToServer = preferences.Macs,
            MacServerToClient = preferences.Macs,
            CompressionClientToServer = ["none"],
            CompressionServerToClient = ["none"],
        }.Encoded();
    }

    /// <summary>Sends our KEXINIT, reads the peer's (its first packet under strict kex; IGNORE and DEBUG skipped otherwise), negotiates.</summary>
    private static async Task<(KexInit Peers, NegotiatedAlgorithms Agreed)> ExchangeKexInitsAsync(SshPacketStream stream, KexInit ours, bool clientSide,
        CancellationToken cancellationToken)
    {
        stream.WritePayload(ours.Payload);
        await stream.FlushAsync(cancellationToken);
        var otherMessagesFirst = false;
        byte[] payload;
        while ((payload = await stream.ReadPayloadAsync(cancellationToken))[0] != (byte)SshMessageNumber.KexInit)
        {
            if (payload[0] is not ((byte)SshMessageNumber.Ignore or (byte)SshMessageNumber.Debug))
            {
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"expected SSH_MSG_KEXINIT, got message {payload[0]}");
            }

            otherMessagesFirst = true;
        }

        var peers = KexInit.Parse(payload);
        var agreed = clientSide ? AlgorithmNegotiation.Negotiate(ours, peers, firstExchange: true) : AlgorithmNegotiation.Negotiate(peers, ours, firstExchange: true);
        if (agreed.StrictKeyExchange && otherMessagesFirst)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "strict key exchange: the peer sent other messages before its KEXINIT");
        }

        await SkipWrongGuessAsync(stream, clientSide ? ours : peers, clientSide ? peers : ours, peers, agreed, cancellationToken);
        return (peers, agreed);
    }

    /// <summary>RFC 4253 §7: when the peer guessed the method wrong, its first key exchange packet is to be ignored.</summary>
    internal static async Task SkipWrongGuessAsync(SshPacketStream stream, KexInit client, KexInit server, KexInit peers, NegotiatedAlgorithms agreed,
        CancellationToken cancellationToken)
    {
        if (peers.FirstKexPacketFollows && !AlgorithmNegotiation.GuessWasRight(client, server, agreed))
        {
            await stream.ReadPayloadAsync(cancellationToken);
        }
    }

    private static IKeyExchangeMethod MethodFor(NegotiatedAlgorithms agreed) =>
        KeyExchangeMethods.TryGet(agreed.KeyExchange, out var method)
            ? method!
            : throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, $"key exchange method {agreed.KeyExchange} is not implemented");

    /// <summary>
    /// The next key exchange message. During the first exchange under strict kex anything else is fatal; otherwise
    /// IGNORE and DEBUG are skipped (RFC 4253 §7.1 allows only transport-generic messages between KEXINIT and NEWKEYS).
    /// </summary>
    private static async Task<byte[]> ReadKexMessageAsync(SshPacketStream stream, SshMessageNumber expected, KeyExchangeRound round,
        CancellationToken cancellationToken)
    {
        var strictFirst = round.SessionId is null && round.Agreed.StrictKeyExchange;
        while (true)
        {
            var payload = await stream.ReadPayloadAsync(cancellationToken);
            if (payload[0] == (byte)expected)
            {
                return payload;
            }

            if (payload[0] == (byte)SshMessageNumber.Disconnect)
            {
                throw SshDisconnectedException.From(payload);
            }

            if (strictFirst)
            {
                throw new SshProtocolException(SshDisconnectReason.ProtocolError,
                    $"strict key exchange: expected {expected} during the first key exchange, got message {payload[0]}");
            }

            if (payload[0] is not ((byte)SshMessageNumber.Ignore or (byte)SshMessageNumber.Debug))
            {
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"expected {expected} during the key exchange, got message {payload[0]}");
            }
        }
    }

    /// <summary>NEWKEYS both ways, each direction switching to its keys (RFC 4253 §7.3): ours right after we send it, theirs right after it arrives.</summary>
    private static async Task SwitchKeysAsync(SshPacketStream stream, IKeyExchangeOutput output, IKeyExchangeMethod method, SharedSecret secret,
        byte[] hash, KeyExchangeRound round, bool clientSide, CancellationToken cancellationToken)
    {
        var sessionId = round.SessionId ?? hash;
        var outgoing = Protection(method, secret, hash, sessionId, round.Agreed, clientToServer: clientSide);
        PacketProtection? incoming = Protection(method, secret, hash, sessionId, round.Agreed, clientToServer: !clientSide);
        try
        {
            await output.SendNewKeysAsync(outgoing, round.ResetSequence, cancellationToken);
            await ReadKexMessageAsync(stream, SshMessageNumber.NewKeys, round, cancellationToken);
            stream.UseReceiveProtection(incoming, resetSequence: round.ResetSequence);
            incoming = null;
        }
        finally
        {
            incoming?.Dispose();
        }
    }

    private static PacketProtection Protection(IKeyExchangeMethod method, SharedSecret secret, byte[] hash, byte[] sessionId, NegotiatedAlgorithms agreed,
        bool clientToServer)
    {
        var cipher = clientToServer ? agreed.CipherClientToServer : agreed.CipherServerToClient;
        var mac = clientToServer ? agreed.MacClientToServer : agreed.MacServerToClient;
        if (!PacketProtectionSuite.TryResolve(cipher, mac, out var suite))
        {
            throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, $"cipher {cipher} with MAC {mac ?? "(none)"} is not implemented");
        }

        var iv = KeyDerivation.Derive(method.Hash, secret, hash, sessionId,
            clientToServer ? DerivedKey.InitialIvClientToServer : DerivedKey.InitialIvServerToClient, suite.IvLength);
        var key = KeyDerivation.Derive(method.Hash, secret, hash, sessionId,
            clientToServer ? DerivedKey.EncryptionKeyClientToServer : DerivedKey.EncryptionKeyServerToClient, suite.KeyLength);
        var macKey = KeyDerivation.Derive(method.Hash, secret, hash, sessionId,
            clientToServer ? DerivedKey.IntegrityKeyClientToServer : DerivedKey.IntegrityKeyServerToClient, suite.MacKeyLength);
        try
        {
            return suite.Create(key, iv, macKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(iv);
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(macKey);
        }
    }

    internal static byte[] Message(SshMessageNumber number, Action<SshWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new SshWriter(buffer);
        writer.WriteByte((byte)number);
        write(writer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The first exchange: nothing else is being sent yet, so messages go straight onto the stream.</summary>
    private sealed class DirectOutput(SshPacketStream stream) : IKeyExchangeOutput
    {
        public async ValueTask SendAsync(byte[] payload, CancellationToken cancellationToken)
        {
            stream.WritePayload(payload);
            await stream.FlushAsync(cancellationToken);
        }

        public async ValueTask SendNewKeysAsync(PacketProtection outgoing, bool resetSequence, CancellationToken cancellationToken)
        {
            stream.WritePayload([(byte)SshMessageNumber.NewKeys]);
            await stream.FlushAsync(cancellationToken);
            stream.UseSendProtection(outgoing, resetSequence);
        }
    }
}
