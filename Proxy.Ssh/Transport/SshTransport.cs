using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using HoopProxy.Ssh.Keys;
using HoopProxy.Ssh.Transport.Crypto;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Transport;

/// <summary>When a connection changes its keys again (RFC 4253 §9): after this many bytes either way, or this much time.</summary>
/// <param name="Bytes">OpenSSH rekeys AES after 4 GiB by default; 1 GiB keeps the same margin for every cipher we offer.</param>
public sealed record RekeyLimits(long Bytes = 1L << 30, TimeSpan? Time = null)
{
    public static RekeyLimits Default { get; } = new();

    /// <summary>An hour, as OpenSSH's RekeyLimit time default of "none" leaves it to the volume; we rekey long idle sessions too.</summary>
    public TimeSpan Interval => Time ?? TimeSpan.FromHours(1);
}

/// <summary>
/// One SSH connection's transport layer after the first key exchange, in either role: what the user authentication and
/// connection layers see. <see cref="ReceiveAsync"/> returns every message from 5 upwards and handles the transport's
/// own: IGNORE, DEBUG and UNIMPLEMENTED are dropped, DISCONNECT ends it (<see cref="SshDisconnectedException"/>), and a
/// KEXINIT runs a new key exchange in place while channels stay open. <see cref="SendAsync"/> may be called from any
/// thread; while keys change, other messages wait in order in memory (bounded by the channel windows the relay honours)
/// and leave right after our NEWKEYS — the callers are never blocked by a rekey, so two relay directions cannot deadlock
/// on each other's key exchange. One reader at a time calls <see cref="ReceiveAsync"/>.
/// </summary>
public sealed class SshTransport : IAsyncDisposable
{
    private readonly SshPacketStream _stream;
    private readonly IDuplexPipe _pipe;
    private readonly bool _isClient;
    private readonly TransportPreferences _preferences;
    private readonly SshPrivateKey? _hostKey;
    private readonly Func<SshPublicKey, bool>? _acceptHostKey;
    private readonly RekeyLimits _rekey;
    private readonly byte[] _clientVersion;
    private readonly byte[] _serverVersion;
    private readonly bool _strict;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Queue<byte[]> _heldDuringKeyExchange = new();
    private KexInit? _ourKexInit;
    private long _keysSince = Stopwatch.GetTimestamp();
    private bool _disconnectSent;

    private SshTransport(SshPacketStream stream, IDuplexPipe pipe, bool isClient, TransportPreferences preferences, HandshakeResult handshake,
        SshPrivateKey? hostKey, Func<SshPublicKey, bool>? acceptHostKey, RekeyLimits rekey)
    {
        _stream = stream;
        _pipe = pipe;
        _isClient = isClient;
        _preferences = preferences;
        _hostKey = hostKey;
        _acceptHostKey = acceptHostKey;
        _rekey = rekey;
        SessionId = handshake.SessionId;
        Algorithms = handshake.Algorithms;
        PeerVersion = handshake.PeerVersion;
        ServerHostKey = handshake.ServerHostKey;
        _strict = handshake.Algorithms.StrictKeyExchange;
        var ours = Encoding.ASCII.GetBytes(VersionExchange.OurVersion);
        var peers = Encoding.ASCII.GetBytes(handshake.PeerVersion);
        (_clientVersion, _serverVersion) = isClient ? (ours, peers) : (peers, ours);
    }

    /// <summary>H of the first key exchange: what public key authentication signs.</summary>
    public byte[] SessionId { get; }

    /// <summary>What the latest key exchange agreed on.</summary>
    public NegotiatedAlgorithms Algorithms { get; private set; }

    public string PeerVersion { get; }

    public SshPublicKey ServerHostKey { get; }

    /// <summary>Completed key exchanges after the first.</summary>
    public int Rekeys { get; private set; }

    /// <summary>Sequence number of the packet <see cref="ReceiveAsync"/> returned last, for SSH_MSG_UNIMPLEMENTED.</summary>
    public uint LastReceivedSequence => _stream.ReceiveSequence - 1;

    /// <summary>The client role: version exchange and first key exchange toward a server whose host key <paramref name="acceptHostKey"/> checks.</summary>
    public static async Task<SshTransport> ConnectAsync(IDuplexPipe pipe, TransportPreferences preferences, Func<SshPublicKey, bool> acceptHostKey,
        RekeyLimits rekey, CancellationToken cancellationToken)
    {
        var stream = new SshPacketStream(pipe);
        try
        {
            var handshake = await KeyExchangeHandshake.RunClientAsync(stream, preferences, acceptHostKey, cancellationToken);
            return new SshTransport(stream, pipe, isClient: true, preferences, handshake, hostKey: null, acceptHostKey, rekey);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The server role: version exchange and first key exchange with <paramref name="hostKey"/>.</summary>
    public static async Task<SshTransport> AcceptAsync(IDuplexPipe pipe, TransportPreferences preferences, SshPrivateKey hostKey, RekeyLimits rekey,
        CancellationToken cancellationToken)
    {
        var stream = new SshPacketStream(pipe);
        try
        {
            return await AcceptAsync(stream, pipe, preferences, hostKey, rekey, cancellationToken);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The server role on a packet stream the caller keeps when the handshake fails: its DISCONNECT must go out under
    /// whatever keys the stream sends with at that moment (in the clear before our NEWKEYS, encrypted after it).
    /// </summary>
    public static async Task<SshTransport> AcceptAsync(SshPacketStream stream, IDuplexPipe pipe, TransportPreferences preferences, SshPrivateKey hostKey,
        RekeyLimits rekey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var handshake = await KeyExchangeHandshake.RunServerAsync(stream, preferences, hostKey, cancellationToken);
        return new SshTransport(stream, pipe, isClient: false, preferences, handshake, hostKey, acceptHostKey: null, rekey);
    }

    /// <summary>
    /// The next message for the layers above (number 5 or higher, key exchange messages excepted). Throws
    /// <see cref="SshDisconnectedException"/> when the peer disconnects, <see cref="SshProtocolException"/> when it breaks the
    /// protocol, <see cref="ConnectionResetException"/>-like I/O errors when the connection drops.
    /// </summary>
    public async ValueTask<byte[]> ReceiveAsync(CancellationToken cancellationToken) =>
        (await ReceiveAsync(onlyIfBuffered: false, cancellationToken))!;

    /// <summary>
    /// Like <see cref="ReceiveAsync(CancellationToken)"/> for a message that has already arrived whole; null when none
    /// has, without waiting. (A key exchange started by such a message is still run to its end.)
    /// </summary>
    public ValueTask<byte[]?> ReceiveBufferedAsync(CancellationToken cancellationToken) => ReceiveAsync(onlyIfBuffered: true, cancellationToken);

    private async ValueTask<byte[]?> ReceiveAsync(bool onlyIfBuffered, CancellationToken cancellationToken)
    {
        while (true)
        {
            byte[]? payload;
            if (!onlyIfBuffered)
            {
                payload = await _stream.ReadPayloadAsync(cancellationToken);
            }
            else if (!_stream.TryReadBufferedPayload(out payload))
            {
                return null;
            }

            switch ((SshMessageNumber)payload[0])
            {
                case SshMessageNumber.Disconnect:
                    throw SshDisconnectedException.From(payload);
                case SshMessageNumber.Ignore or SshMessageNumber.Debug or SshMessageNumber.Unimplemented:
                    // RFC 4253 §11: IGNORE and DEBUG carry nothing we act on; we send nothing optional a peer could refuse.
                    continue;
                case SshMessageNumber.ExtInfo when _isClient:
                    // server-sig-algs: we sign with rsa-sha2-* anyway (SHA-1 signatures are never offered).
                    continue;
                case SshMessageNumber.KexInit:
                    await RunKeyExchangeAsync(payload, cancellationToken);
                    continue;
                case >= SshMessageNumber.KexInit and < SshMessageNumber.UserAuthRequest:
                    throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"key exchange message {payload[0]} outside a key exchange");
                case < SshMessageNumber.ServiceRequest or > SshMessageNumber.ServiceAccept and < SshMessageNumber.KexInit:
                    await SendUnimplementedAsync(cancellationToken);
                    continue;
            }

            if (RekeyDue(_stream.BytesReceivedSinceKeys))
            {
                await StartKeyExchangeAsync(cancellationToken);
            }

            return payload;
        }
    }

    /// <summary>Sends one message (5 or higher) and flushes; during a key exchange it is held and sent right after our NEWKEYS.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) => SendAsync(payload, flush: true, cancellationToken);

    /// <summary>
    /// Sends one message; with <paramref name="flush"/> false it waits in the output buffer for <see cref="FlushAsync"/>
    /// (or the next flushing send), so a run of relayed packets leaves in one write.
    /// </summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, bool flush, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            if (_ourKexInit is not null)
            {
                _heldDuringKeyExchange.Enqueue(payload.ToArray());
                return;
            }

            _stream.WritePayload(payload.Span);
            if (RekeyDue(_stream.BytesSentSinceKeys))
            {
                WriteOurKexInit();
                flush = true;
            }

            if (flush)
            {
                await _stream.FlushAsync(cancellationToken);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends what <see cref="SendAsync(ReadOnlyMemory{byte}, bool, CancellationToken)"/> left buffered.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _stream.FlushAsync(cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Sends SSH_MSG_DISCONNECT (once; best effort, a dead peer is not waited for) and ends the output. The description
    /// is for the peer's user: it names what went wrong in words, never a secret.
    /// </summary>
    public async ValueTask DisconnectAsync(SshDisconnectReason reason, string description)
    {
        if (!await _sendLock.WaitAsync(TimeSpan.FromSeconds(5)))
        {
            return;
        }

        try
        {
            if (_disconnectSent)
            {
                return;
            }

            _disconnectSent = true;
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 + description.Length * 3);
            new Disconnect(reason, description).WriteTo(buffer);
            _stream.WritePayload(buffer.WrittenSpan);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _stream.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            // The peer is gone or not reading: nothing more to tell it.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_pipe is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
            else
            {
                await _pipe.Input.CompleteAsync();
                await _pipe.Output.CompleteAsync();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Buffered bytes could not be written: the peer has gone, which is how most connections end.
        }

        _stream.Dispose();
    }

    private bool RekeyDue(long bytesSinceKeys) =>
        _ourKexInit is null && (bytesSinceKeys >= _rekey.Bytes || Stopwatch.GetElapsedTime(_keysSince) >= _rekey.Interval);

    private async ValueTask StartKeyExchangeAsync(CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            if (_ourKexInit is null)
            {
                WriteOurKexInit();
                await _stream.FlushAsync(cancellationToken);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Under the send lock: our KEXINIT goes out and from here other messages are held until our NEWKEYS.</summary>
    private void WriteOurKexInit()
    {
        var hostKeys = _isClient ? _preferences.HostKey : KeyExchangeHandshake.HostKeyAlgorithms(_preferences, _hostKey!);
        _ourKexInit = KeyExchangeHandshake.OurKexInit(_preferences, hostKeys, _isClient, firstExchange: false);
        _stream.WritePayload(_ourKexInit.Payload);
    }

    /// <summary>A key exchange after the first, started by the peer's KEXINIT (ours is sent now unless it already went).</summary>
    private async Task RunKeyExchangeAsync(byte[] peersPayload, CancellationToken cancellationToken)
    {
        await StartKeyExchangeAsync(cancellationToken);
        var peers = KexInit.Parse(peersPayload);
        var ours = _ourKexInit!;
        var (client, server) = _isClient ? (ours, peers) : (peers, ours);
        var agreed = AlgorithmNegotiation.Negotiate(client, server, firstExchange: false);
        await KeyExchangeHandshake.SkipWrongGuessAsync(_stream, client, server, peers, agreed, cancellationToken);
        var round = new KeyExchangeRound(_clientVersion, _serverVersion, client, server, agreed, SessionId, _strict);
        var output = new HoldingOutput(this);
        if (_isClient)
        {
            await KeyExchangeHandshake.CompleteAsClientAsync(_stream, output, round, SameHostKey, cancellationToken);
        }
        else
        {
            await KeyExchangeHandshake.CompleteAsServerAsync(_stream, output, round, _hostKey!, cancellationToken);
        }

        Algorithms = agreed with { StrictKeyExchange = _strict };
        Rekeys++;
        _keysSince = Stopwatch.GetTimestamp();
    }

    /// <summary>A server may not change its host key in a rekey; the pinned check applies again too.</summary>
    private bool SameHostKey(SshPublicKey key) =>
        key.Blob.Span.SequenceEqual(ServerHostKey.Blob.Span) && _acceptHostKey!(key);

    private async ValueTask SendUnimplementedAsync(CancellationToken cancellationToken)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(8);
        new Unimplemented(LastReceivedSequence).WriteTo(buffer);
        await SendAsync(buffer.WrittenMemory, cancellationToken);
    }

    /// <summary>Key exchange messages pass the hold; our NEWKEYS switches keys and then releases what was held, in order.</summary>
    private sealed class HoldingOutput(SshTransport transport) : IKeyExchangeOutput
    {
        public async ValueTask SendAsync(byte[] payload, CancellationToken cancellationToken)
        {
            await transport._sendLock.WaitAsync(cancellationToken);
            try
            {
                transport._stream.WritePayload(payload);
                await transport._stream.FlushAsync(cancellationToken);
            }
            finally
            {
                transport._sendLock.Release();
            }
        }

        /// <remarks>
        /// Runs on the reader, which must never wait for the peer to read: the peer may be waiting for our NEWKEYS while
        /// it flushes its own held messages to us. So only NEWKEYS is flushed here; what was held is written behind it
        /// and flushed by a task of its own (which keeps the send lock, so later messages still follow in order).
        /// </remarks>
        public async ValueTask SendNewKeysAsync(PacketProtection outgoing, bool resetSequence, CancellationToken cancellationToken)
        {
            await transport._sendLock.WaitAsync(cancellationToken);
            var flushingInBackground = false;
            try
            {
                var stream = transport._stream;
                stream.WritePayload([(byte)SshMessageNumber.NewKeys]);
                stream.UseSendProtection(outgoing, resetSequence);
                await stream.FlushAsync(cancellationToken);
                transport._ourKexInit = null;
                if (transport._heldDuringKeyExchange.Count == 0)
                {
                    return;
                }

                while (transport._heldDuringKeyExchange.TryDequeue(out var held))
                {
                    stream.WritePayload(held);
                }

                // What was held may already be more than the limit allows under one key.
                if (transport.RekeyDue(stream.BytesSentSinceKeys))
                {
                    transport.WriteOurKexInit();
                }

                flushingInBackground = true;
                _ = FlushHeldAsync(stream);
            }
            finally
            {
                if (!flushingInBackground)
                {
                    transport._sendLock.Release();
                }
            }
        }

        private async Task FlushHeldAsync(SshPacketStream stream)
        {
            try
            {
                await stream.FlushAsync();
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
            {
                // The connection is failing; its reader reports why.
            }
            finally
            {
                transport._sendLock.Release();
            }
        }
    }
}
