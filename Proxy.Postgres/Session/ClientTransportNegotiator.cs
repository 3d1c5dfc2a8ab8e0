using System.Buffers;
using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using HoopProxy.Core.Networking;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Session;

/// <summary>The client's transport once encryption is settled.</summary>
public sealed record ClientTransport(PumpedDuplexPipe Pipe, bool IsTls);

/// <summary>
/// Answers SSLRequest and GSSENCRequest on the bare socket, before any pipe exists, then hands back a
/// plaintext or TLS pipe. Reading the first eight bytes directly is what lets TLS start cleanly: no
/// receive loop has read ahead into the handshake.
/// </summary>
public static class ClientTransportNegotiator
{
    public static async Task<ClientTransport> NegotiateAsync(Socket socket, X509Certificate2? certificate, PipeSettings pipes, CancellationToken cancellationToken)
    {
        var head = new byte[8];
        for (var round = 0; round < 3; round++)
        {
            if (!await ReceiveExactlyAsync(socket, head, cancellationToken))
            {
                throw new PostgresProtocolException(SqlState.ProtocolViolation, "the client closed the connection before the startup packet");
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(head);
            var code = BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(4));
            if (length == 8 && code == StartupCode.GssEncRequest)
            {
                await socket.SendAsync("N"u8.ToArray(), SocketFlags.None, cancellationToken);
                continue;
            }

            if (length == 8 && code == StartupCode.SslRequest)
            {
                if (certificate is null)
                {
                    await socket.SendAsync("N"u8.ToArray(), SocketFlags.None, cancellationToken);
                    continue;
                }

                // Bytes already waiting were sent in plaintext before our answer: a man in the middle
                // injecting them is the attack of CVE-2021-23214. Refuse, as PostgreSQL does. (Checked
                // before answering: after 'S' the client's ClientHello may legitimately be here already.)
                if (socket.Available > 0)
                {
                    throw new PostgresProtocolException(SqlState.ProtocolViolation, "received unencrypted data after SSL request");
                }

                await socket.SendAsync("S"u8.ToArray(), SocketFlags.None, cancellationToken);

                var stream = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
                try
                {
                    await stream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = certificate,
                        ClientCertificateRequired = false,
                    }, cancellationToken);
                }
                catch (Exception e)
                {
                    await stream.DisposeAsync();
                    // After 'S' the client speaks TLS: a plaintext ErrorResponse would only be garbage to it.
                    throw new ClientTlsHandshakeException(e);
                }

                return new ClientTransport(new StreamDuplexPipe(stream, pipes, socket.Dispose), IsTls: true);
            }

            return new ClientTransport(new SocketDuplexPipe(socket, pipes, head), IsTls: false);
        }

        throw new PostgresProtocolException(SqlState.ProtocolViolation, "too many encryption requests before the startup packet");
    }

    private static async Task<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var received = await socket.ReceiveAsync(buffer[filled..], SocketFlags.None, cancellationToken);
            if (received == 0)
            {
                return false;
            }

            filled += received;
        }

        return true;
    }

    /// <summary>Writes an ErrorResponse straight to the socket, for failures before a pipe exists.</summary>
    public static async Task SendErrorAsync(Socket socket, ErrorResponse error, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        error.WriteTo(buffer);
        await socket.SendAsync(buffer.WrittenMemory, SocketFlags.None, cancellationToken);
    }
}

/// <summary>The client's TLS handshake failed or timed out after the proxy said 'S'; nothing more can be said to it in clear.</summary>
public sealed class ClientTlsHandshakeException : Exception
{
    public ClientTlsHandshakeException(Exception inner) : base($"TLS handshake with the client failed: {inner.Message}", inner) { }

    public ClientTlsHandshakeException() { }

    public ClientTlsHandshakeException(string message) : base(message) { }

    public ClientTlsHandshakeException(string message, Exception inner) : base(message, inner) { }
}
