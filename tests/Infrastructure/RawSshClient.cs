using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Authentication.Messages;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>
/// The bytes before any key exists, on a bare socket: for sending what no SSH client sends (garbage instead of a
/// version line, absurd packet lengths, messages out of order during the key exchange) and reading the proxy's
/// answer — its identification line and unencrypted packets (a DISCONNECT in the clear, RFC 4253 §11.1).
/// </summary>
public sealed class RawSshSocket : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(15);
    private readonly Socket _socket;
    private readonly NetworkStream _network;

    private RawSshSocket(Socket socket)
    {
        _socket = socket;
        _network = new NetworkStream(socket, ownsSocket: false);
        Input = PipeReader.Create(_network, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(_network, new StreamPipeWriterOptions(leaveOpen: true));
        Packets = new SshPacketStream(new DuplexPipe(Input, Output));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>Unprotected packets (no keys yet) over the same bytes as <see cref="Input"/> and <see cref="Output"/>.</summary>
    public SshPacketStream Packets { get; }

    public static async Task<RawSshSocket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawSshSocket(socket);
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    public Task SendAsync(string ascii) => SendAsync(Encoding.ASCII.GetBytes(ascii));

    /// <summary>Sends our identification line (<see cref="VersionExchange.OurVersion"/>).</summary>
    public Task SendVersionAsync() => SendAsync(VersionExchange.OurVersion + "\r\n");

    /// <summary>One unprotected packet with <paramref name="payload"/>.</summary>
    public async Task SendPacketAsync(ReadOnlyMemory<byte> payload)
    {
        Packets.WritePayload(payload.Span);
        await Packets.FlushAsync();
    }

    /// <summary>Half-closes: the proxy reads the end of the stream, and what it sends can still be read.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>The peer's identification line (without CR LF), read as our transport reads it.</summary>
    public async Task<string> ReadVersionAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        return await VersionExchange.ReadPeersAsync(Input, timeout.Token);
    }

    /// <summary>The next unprotected packet's payload; null when the connection ends (closed or reset) first.</summary>
    public async Task<byte[]?> ReadPacketAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        try
        {
            return await Packets.ReadPayloadAsync(timeout.Token);
        }
        catch (SshProtocolException e) when (e.Reason == SshDisconnectReason.ConnectionLost)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads unprotected packets until a DISCONNECT (returned) or the end of the connection (null), skipping the rest
    /// (the proxy's KEXINIT, sent right after its version line).
    /// </summary>
    public async Task<Disconnect?> ReadUntilDisconnectAsync()
    {
        while (await ReadPacketAsync() is { } payload)
        {
            if (payload[0] == (byte)SshMessageNumber.Disconnect)
            {
                return Disconnect.Parse(payload);
            }
        }

        return null;
    }

    /// <summary>True when the peer closes (or resets) the connection within <paramref name="timeout"/>; what arrives first is discarded.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        var buffer = new byte[16 * 1024];
        try
        {
            while (await _socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Packets.Dispose();
        await Input.CompleteAsync();
        try
        {
            await Output.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The proxy has gone.
        }

        await _network.DisposeAsync();
        _socket.Dispose();
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}

/// <summary>What arrived on a channel before the server confirmed an exec: channel data bytes, and window added for our data.</summary>
public sealed record ExecStarted(long DataBytes, long WindowAdded);

/// <summary>
/// A deliberately minimal SSH client built from the project's own transport (<see cref="SshTransport.ConnectAsync"/>
/// with a pinned host key) for what OpenSSH will not do: a password typed by a test, a channel window that is never
/// adjusted, more data than the window allows, a packet whose ciphertext is changed on its way out
/// (<see cref="SendTamperedAsync"/>). Messages are built with the project's message types.
/// </summary>
public sealed class RawSshClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);
    private readonly TappedSocketPipe _pipe;

    private RawSshClient(TappedSocketPipe pipe, SshTransport transport)
    {
        _pipe = pipe;
        Transport = transport;
    }

    public SshTransport Transport { get; }

    /// <summary>Connects and runs the key exchange; <paramref name="pinnedFingerprint"/> must be the proxy's host key.</summary>
    public static async Task<RawSshClient> ConnectAsync(int port, string pinnedFingerprint, TransportPreferences? preferences = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        var pipe = new TappedSocketPipe(socket);
        try
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            var transport = await SshTransport.ConnectAsync(pipe, preferences ?? new TransportPreferences(), key => key.Fingerprint == pinnedFingerprint,
                RekeyLimits.Default, timeout.Token);
            return new RawSshClient(pipe, transport);
        }
        catch
        {
            await pipe.DisposeAsync();
            throw;
        }
    }

    public async Task SendAsync(ReadOnlyMemory<byte> payload)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await Transport.SendAsync(payload, timeout.Token);
    }

    /// <summary>
    /// Sends <paramref name="payload"/> protected as usual, but <paramref name="tamper"/> changes the packet's bytes
    /// (length field, ciphertext and MAC or tag, exactly one packet) before they reach the socket.
    /// </summary>
    public async Task SendTamperedAsync(ReadOnlyMemory<byte> payload, Action<byte[]> tamper)
    {
        await _pipe.WaitUntilSentAsync(DefaultTimeout);
        _pipe.TamperWithNextWrite(tamper);
        await SendAsync(payload);
        await _pipe.WaitUntilSentAsync(DefaultTimeout);
    }

    /// <summary>The next message above the transport (IGNORE, DEBUG, EXT_INFO and key exchanges are handled below).</summary>
    public async Task<byte[]> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await Transport.ReceiveAsync(limit.Token);
    }

    /// <summary>Receives until the peer's DISCONNECT and returns it; fails if the connection just ends or another error comes.</summary>
    public async Task<SshDisconnectedException> ReceiveDisconnectAsync(TimeSpan? timeout = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            try
            {
                await Transport.ReceiveAsync(limit.Token);
            }
            catch (SshDisconnectedException e)
            {
                return e;
            }
        }
    }

    /// <summary>SERVICE_REQUEST "ssh-userauth", answered by SERVICE_ACCEPT.</summary>
    public async Task RequestUserAuthServiceAsync()
    {
        await SendAsync(MessageBytes.Of(new ServiceRequest(ServiceRequest.UserAuth).WriteTo));
        var accept = await ReceiveSkippingAsync(SshMessageNumber.UserAuthBanner);
        if (accept[0] != (byte)SshMessageNumber.ServiceAccept)
        {
            throw new InvalidDataException($"expected SERVICE_ACCEPT, got message {accept[0]}");
        }
    }

    /// <summary>One USERAUTH_REQUEST; returns the answer (USERAUTH_SUCCESS, USERAUTH_FAILURE, PK_OK), banners skipped.</summary>
    public async Task<byte[]> AuthenticateAsync(string user, UserAuthMethod method)
    {
        await SendAsync(MessageBytes.Of(new UserAuthRequest(user, ServiceRequest.Connection, method).WriteTo));
        return await ReceiveSkippingAsync(SshMessageNumber.UserAuthBanner);
    }

    /// <summary>Connects, asks for the user authentication service and logs in with a password; throws unless it succeeded.</summary>
    public static async Task<RawSshClient> LoginAsync(int port, string pinnedFingerprint, string user, string password)
    {
        var client = await ConnectAsync(port, pinnedFingerprint);
        try
        {
            await client.RequestUserAuthServiceAsync();
            var answer = await client.AuthenticateAsync(user, new PasswordAuthMethod(password));
            if (answer[0] != (byte)SshMessageNumber.UserAuthSuccess)
            {
                throw new InvalidDataException($"the password login as {user} got message {answer[0]}, not USERAUTH_SUCCESS");
            }

            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens a "session" channel (our number 0) with our window and packet size; returns the server's confirmation.</summary>
    public async Task<ChannelOpenConfirmation> OpenSessionAsync(uint window, uint maximumPacket, uint channel = 0)
    {
        await SendAsync(MessageBytes.Of(ChannelOpen.Session(channel, window, maximumPacket).WriteTo));
        var answer = await ReceiveSkippingAsync(SshMessageNumber.GlobalRequest);
        if (answer[0] != (byte)SshMessageNumber.ChannelOpenConfirmation)
        {
            throw new InvalidDataException($"expected CHANNEL_OPEN_CONFIRMATION, got message {answer[0]}");
        }

        return ChannelOpenConfirmation.Parse(answer);
    }

    /// <summary>
    /// "exec" with want-reply; waits for CHANNEL_SUCCESS. Returns the bytes of channel data and the window the server
    /// added (OpenSSH's sshd confirms a session with a window of 0 and adds its 2 MiB when the command starts) before it.
    /// </summary>
    public async Task<ExecStarted> ExecAsync(uint serverChannel, string command)
    {
        await SendAsync(MessageBytes.Of(ChannelRequest.Create(serverChannel, wantReply: true, ExecRequest.FromText(command)).WriteTo));
        long data = 0;
        long window = 0;
        while (true)
        {
            var message = await ReceiveAsync();
            switch ((SshMessageNumber)message[0])
            {
                case SshMessageNumber.ChannelSuccess:
                    return new ExecStarted(data, window);
                case SshMessageNumber.ChannelFailure:
                    throw new InvalidDataException($"exec \"{command}\" was refused");
                case SshMessageNumber.ChannelData:
                    data += ChannelData.Parse(message).Data.Length;
                    break;
                case SshMessageNumber.ChannelWindowAdjust:
                    window += ChannelWindowAdjust.Parse(message).BytesToAdd;
                    break;
                case SshMessageNumber.GlobalRequest or SshMessageNumber.ChannelExtendedData:
                    break;
                default:
                    throw new InvalidDataException($"expected CHANNEL_SUCCESS for exec, got message {message[0]}");
            }
        }
    }

    private async Task<byte[]> ReceiveSkippingAsync(SshMessageNumber skipped)
    {
        while (true)
        {
            var message = await ReceiveAsync();
            if (message[0] != (byte)skipped)
            {
                return message;
            }
        }
    }

    /// <summary>Closes the connection (the transport disposes the pipe, and with it the socket).</summary>
    public ValueTask DisposeAsync() => Transport.DisposeAsync();

    /// <summary>
    /// A socket as a duplex pipe whose output passes through a pump, so that the bytes of one flushed packet can be
    /// changed before they are sent. Counts what was written and what was sent, so a test can wait until the pump is idle.
    /// </summary>
    private sealed class TappedSocketPipe : IDuplexPipe, IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly NetworkStream _network;
        private readonly Pipe _outgoing = new();
        private readonly CountingWriter _writer;
        private readonly Task _pump;
        private Action<byte[]>? _tamper;
        private long _sent;

        public TappedSocketPipe(Socket socket)
        {
            _socket = socket;
            _network = new NetworkStream(socket, ownsSocket: false);
            Input = PipeReader.Create(_network, new StreamPipeReaderOptions(leaveOpen: true));
            _writer = new CountingWriter(_outgoing.Writer);
            _pump = Task.Run(PumpAsync);
        }

        public PipeReader Input { get; }

        public PipeWriter Output => _writer;

        public void TamperWithNextWrite(Action<byte[]> tamper) => Volatile.Write(ref _tamper, tamper);

        public async Task WaitUntilSentAsync(TimeSpan timeout)
        {
            var drained = await Poll.UntilAsync(() => Task.FromResult(Interlocked.Read(ref _sent) == _writer.Written || _pump.IsCompleted), timeout,
                TimeSpan.FromMilliseconds(5));
            if (!drained)
            {
                throw new TimeoutException("the socket did not take what was written");
            }
        }

        private async Task PumpAsync()
        {
            var reader = _outgoing.Reader;
            try
            {
                while (true)
                {
                    var result = await reader.ReadAsync();
                    var bytes = result.Buffer.ToArray();
                    if (bytes.Length > 0 && Interlocked.Exchange(ref _tamper, null) is { } tamper)
                    {
                        tamper(bytes);
                    }

                    var offset = 0;
                    while (offset < bytes.Length)
                    {
                        offset += await _socket.SendAsync(bytes.AsMemory(offset), SocketFlags.None);
                    }

                    Interlocked.Add(ref _sent, bytes.Length);
                    reader.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        break;
                    }
                }

                await reader.CompleteAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
            {
                // The proxy closed or reset the connection: writers learn it from their next flush.
                await reader.CompleteAsync(e);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _writer.CompleteAsync();
            try
            {
                await _pump.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                // A proxy that does not read: the socket is closed below anyway.
            }

            await Input.CompleteAsync();
            await _network.DisposeAsync();
            _socket.Dispose();
        }
    }

    /// <summary>Passes everything to a pipe's writer and counts the bytes written.</summary>
    private sealed class CountingWriter(PipeWriter inner) : PipeWriter
    {
        private long _written;

        public long Written => Interlocked.Read(ref _written);

        public override void Advance(int bytes)
        {
            inner.Advance(bytes);
            Interlocked.Add(ref _written, bytes);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
    }
}
