using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using HoopProxy.Core.Networking;
using HoopProxy.Postgres.Authentication;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Protocol.Frontend;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// Opens and logs in a connection to a target with the target's own credentials.
/// Every exception it throws is a <see cref="PostgresProtocolException"/> whose message is safe to show a client:
/// it names the target, never its user name, password or the server's login error text.
/// </summary>
public sealed partial class UpstreamConnector
{
    private const int MaxLoginMessageBytes = 1024 * 1024;
    private readonly PipeSettings _pipes;
    private readonly ILogger _logger;

    /// <summary>Every client connection logs in upstream with the target's one password: PBKDF2 runs once per salt, not per login.</summary>
    private readonly ScramSaltedPasswordCache _saltedPasswords = new();

    public UpstreamConnector(PipeSettings pipes, ILogger logger)
    {
        _pipes = pipes;
        _logger = logger;
    }

    /// <param name="clientParameters">Startup parameters from the client other than user and database (application_name, DateStyle …).</param>
    public async Task<UpstreamSession> ConnectAsync(PostgresTarget target, IEnumerable<KeyValuePair<string, string>> clientParameters, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(target.ConnectTimeout);
        PumpedDuplexPipe? pipe = null;
        try
        {
            var socket = await OpenSocketAsync(target, timeout.Token);
            var (transport, isTls) = await NegotiateTlsAsync(socket, target, timeout.Token);
            pipe = transport;
            var parameters = new List<KeyValuePair<string, string>>
            {
                new("user", target.Username),
                new("database", target.Database),
            };
            parameters.AddRange(clientParameters);
            new StartupMessage(StartupCode.ProtocolVersion30, parameters).WriteTo(pipe.Output);
            await pipe.Output.FlushAsync(timeout.Token);

            await AuthenticateAsync(pipe, target, isTls, timeout.Token);
            var session = await ReadGreetingAsync(pipe, target, isTls, timeout.Token);
            pipe = null;
            return session;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PostgresProtocolException(SqlState.ClientUnableToConnect,
                $"could not connect to target \"{target.Name}\": no answer within {target.ConnectTimeout.TotalSeconds:0.#} s");
        }
        catch (AuthenticationException e)
        {
            LogLoginFailed(_logger, target.Name, e.Message);
            throw new PostgresProtocolException(SqlState.ServerRejectedConnection,
                $"the proxy could not log in to target \"{target.Name}\"");
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            throw new PostgresProtocolException(SqlState.ConnectionFailure,
                $"connection to target \"{target.Name}\" failed during login: {Describe(e)}");
        }
        finally
        {
            if (pipe is not null)
            {
                await pipe.DisposeAsync();
            }
        }
    }

    private static async Task<Socket> OpenSocketAsync(PostgresTarget target, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(target.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(target.Host, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new PostgresProtocolException(SqlState.ClientUnableToConnect,
                $"could not connect to target \"{target.Name}\": host name lookup failed ({e.SocketErrorCode})");
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, target.Port), cancellationToken);
                return socket;
            }
            catch (SocketException e)
            {
                last = e;
                socket.Dispose();
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new PostgresProtocolException(SqlState.ClientUnableToConnect,
            $"could not connect to target \"{target.Name}\": {(last is null ? "no address" : Describe(last))}");
    }

    /// <summary>SSLRequest per sslmode, on the bare socket before any pipe exists.</summary>
    private async Task<(PumpedDuplexPipe Pipe, bool IsTls)> NegotiateTlsAsync(Socket socket, PostgresTarget target, CancellationToken cancellationToken)
    {
        try
        {
            if (target.SslMode == SslMode.Disable)
            {
                return (new SocketDuplexPipe(socket, _pipes), false);
            }

            var answer = await RequestTlsAsync(socket, cancellationToken);
            if (answer == (byte)'S')
            {
                var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
                await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = target.Host,
                    RemoteCertificateValidationCallback = (_, certificate, chain, errors) => TargetCertificateValidator.IsAcceptable(target, certificate, chain, errors),
                }, cancellationToken);
                return (new StreamDuplexPipe(stream, _pipes, socket.Dispose), true);
            }

            if (answer == (byte)'N' && target.SslMode == SslMode.Prefer)
            {
                return (new SocketDuplexPipe(socket, _pipes), false);
            }

            throw new PostgresProtocolException(SqlState.ClientUnableToConnect,
                $"target \"{target.Name}\" does not accept TLS, but its sslmode is {target.SslMode}");
        }
        catch (System.Security.Authentication.AuthenticationException e)
        {
            socket.Dispose();
            LogTlsFailed(_logger, target.Name, e.Message);
            throw new PostgresProtocolException(SqlState.ClientUnableToConnect,
                $"TLS with target \"{target.Name}\" failed: its certificate is not acceptable for sslmode {target.SslMode}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends SSLRequest and returns the server's one-byte answer ('S', 'N', or 'E' from very old servers).</summary>
    internal static async Task<byte> RequestTlsAsync(Socket socket, CancellationToken cancellationToken)
    {
        var request = new ArrayBufferWriter<byte>(SslRequest.Length);
        SslRequest.Write(request);
        await socket.SendAsync(request.WrittenMemory, SocketFlags.None, cancellationToken);
        var answer = new byte[1];
        var received = await socket.ReceiveAsync(answer, SocketFlags.None, cancellationToken);
        if (received == 0)
        {
            throw new IOException("the target closed the connection after SSLRequest");
        }

        return answer[0];
    }

    private async Task AuthenticateAsync(PumpedDuplexPipe pipe, PostgresTarget target, bool isTls, CancellationToken cancellationToken)
    {
        ScramClientExchange? scram = null;
        while (true)
        {
            var message = await HandshakeReader.ReadMessageAsync(pipe.Input, MaxLoginMessageBytes, "target", cancellationToken);
            switch ((BackendMessageCode)message.Code)
            {
                case BackendMessageCode.Authentication:
                    if (!AuthenticationRequest.TryParse(message.BodySequence, out var request))
                    {
                        throw new AuthenticationException("malformed authentication request from the target");
                    }

                    if (request.Type == AuthenticationType.Ok)
                    {
                        // A SCRAM exchange proves the server knows the password only with its final message;
                        // an Ok before that could come from anyone in the middle.
                        if (scram is { IsServerVerified: false })
                        {
                            throw new AuthenticationException("the target ended SCRAM without proving it knows the password");
                        }

                        return;
                    }

                    if (request.Type == AuthenticationType.SaslContinue && scram is not null)
                    {
                        // PBKDF2 takes milliseconds: off the socket thread, which serves every other session.
                        var exchange = scram;
                        var serverFirst = Encoding.UTF8.GetString(request.Data);
                        var clientFinal = await Task.Run(() => exchange.HandleServerFirst(serverFirst), cancellationToken);
                        SaslResponse.Write(pipe.Output, Encoding.UTF8.GetBytes(clientFinal));
                    }
                    else
                    {
                        if (request.Type == AuthenticationType.CleartextPassword && !isTls)
                        {
                            // Whoever answered 'N' to our SSLRequest would read the password; refuse, as libpq's require_auth can.
                            throw new AuthenticationException("the target asks for a cleartext password on a connection without TLS");
                        }

                        scram = Answer(pipe.Output, target, request, scram, _saltedPasswords);
                    }

                    await pipe.Output.FlushAsync(cancellationToken);
                    break;
                case BackendMessageCode.ErrorResponse:
                    ErrorResponse.TryParse(message.BodySequence, out var error);
                    throw new AuthenticationException($"the target refused the login: {error.SqlState} {error.Message}");
                case BackendMessageCode.NegotiateProtocolVersion:
                case BackendMessageCode.NoticeResponse:
                    break;
                default:
                    throw new AuthenticationException($"unexpected message '{(char)message.Code}' from the target during login");
            }
        }
    }

    private static ScramClientExchange? Answer(IBufferWriter<byte> output, PostgresTarget target, AuthenticationRequest request, ScramClientExchange? scram,
        ScramSaltedPasswordCache saltedPasswords)
    {
        string Password() => target.Password ?? throw new AuthenticationException("the target asks for a password and none is configured");
        switch (request.Type)
        {
            case AuthenticationType.CleartextPassword:
                PasswordMessage.Write(output, Password());
                return scram;
            case AuthenticationType.Md5Password:
                PasswordMessage.Write(output, Md5Password.Answer(target.Username, Password(), request.Data.ToArray()));
                return scram;
            case AuthenticationType.Sasl:
                if (!request.SaslMechanisms().Contains(ScramSha256.Mechanism))
                {
                    throw new AuthenticationException($"the target offers no SASL mechanism the proxy speaks ({string.Join(", ", request.SaslMechanisms())})");
                }

                scram = new ScramClientExchange(Password(), saltedPasswords);
                SaslInitialResponse.Write(output, ScramSha256.Mechanism, Encoding.UTF8.GetBytes(scram.ClientFirst));
                return scram;
            case AuthenticationType.SaslFinal when scram is not null:
                scram.VerifyServerFinal(Encoding.UTF8.GetString(request.Data));
                return scram;
            default:
                throw new AuthenticationException($"the target asks for {request.Type} authentication, which the proxy does not support");
        }
    }

    private static async Task<UpstreamSession> ReadGreetingAsync(PumpedDuplexPipe pipe, PostgresTarget target, bool isTls, CancellationToken cancellationToken)
    {
        var greeting = new List<byte[]>();
        BackendKeyData key = default;
        while (true)
        {
            var message = await HandshakeReader.ReadMessageAsync(pipe.Input, MaxLoginMessageBytes, "target", cancellationToken);
            switch ((BackendMessageCode)message.Code)
            {
                case BackendMessageCode.ParameterStatus:
                case BackendMessageCode.NoticeResponse:
                    greeting.Add(Frame(message));
                    break;
                case BackendMessageCode.BackendKeyData:
                    if (!BackendKeyData.TryParse(message.BodySequence, out key))
                    {
                        throw new PostgresProtocolException(SqlState.ProtocolViolation, $"target \"{target.Name}\" sent a malformed BackendKeyData");
                    }

                    break;
                case BackendMessageCode.ReadyForQuery:
                    ReadyForQuery.TryParse(message.BodySequence, out var ready);
                    return new UpstreamSession(target, pipe, key, greeting, ready.Status, isTls);
                case BackendMessageCode.ErrorResponse:
                    ErrorResponse.TryParse(message.BodySequence, out var error);
                    throw new PostgresProtocolException(SqlState.ServerRejectedConnection,
                        $"target \"{target.Name}\" refused the session (SQLSTATE {error.SqlState})");
                default:
                    throw new PostgresProtocolException(SqlState.ProtocolViolation,
                        $"target \"{target.Name}\" sent an unexpected message '{(char)message.Code}' after login");
            }
        }
    }

    private static byte[] Frame(OwnedMessage message)
    {
        var bytes = new byte[MessageHeader.Size + message.Body.Length];
        bytes[0] = message.Code;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), message.Body.Length + 4);
        message.Body.CopyTo(bytes, MessageHeader.Size);
        return bytes;
    }

    /// <summary>Forwards a client's cancel to the target on a new connection, as PostgreSQL expects.</summary>
    public async Task SendCancelAsync(CancelRoute route, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(route.Target.ConnectTimeout);
        using var socket = await OpenSocketAsync(route.Target, timeout.Token);
        var request = new CancelRequest(route.UpstreamKey.ProcessId, route.UpstreamKey.SecretKey).ToArray();
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        var answer = route.Target.SslMode == SslMode.Disable ? (byte)'N' : await RequestTlsAsync(socket, timeout.Token);
        if (answer != (byte)'S' && route.Target.SslMode is not (SslMode.Disable or SslMode.Prefer))
        {
            // The same rule as the login: a cancel key is not sent in clear where the session was required to be encrypted.
            throw new PostgresProtocolException(SqlState.ClientUnableToConnect, $"target \"{route.Target.Name}\" does not accept TLS for the cancel request");
        }

        if (answer == (byte)'S')
        {
            var ssl = new SslStream(stream);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = route.Target.Host,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => TargetCertificateValidator.IsAcceptable(route.Target, certificate, chain, errors),
            }, timeout.Token);
            stream = ssl;
        }

        await using (stream)
        {
            await stream.WriteAsync(request, timeout.Token);
            await stream.FlushAsync(timeout.Token);
            // The server answers nothing and closes; waiting for that keeps the cancel ordered before our close.
            var sink = new byte[1];
            try
            {
                _ = await stream.ReadAsync(sink, timeout.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                // A close or reset is the expected answer.
            }
        }
    }

    private static string Describe(Exception e) => e switch
    {
        SocketException s => s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostUnreachable or SocketError.NetworkUnreachable => "host unreachable",
            SocketError.TimedOut => "timed out",
            SocketError.ConnectionReset => "connection reset",
            var other => other.ToString(),
        },
        IOException { InnerException: SocketException s } => Describe(s),
        _ => "the connection was closed",
    };

    [LoggerMessage(EventId = 2100, Level = LogLevel.Warning, Message = "login to target {Target} failed: {Reason}")]
    private static partial void LogLoginFailed(ILogger logger, string target, string reason);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "TLS with target {Target} failed: {Reason}")]
    private static partial void LogTlsFailed(ILogger logger, string target, string reason);
}

/// <summary>libpq's sslmode semantics for the target's certificate.</summary>
internal static class TargetCertificateValidator
{
    // Root bundles are read once per file, not in every handshake.
    private static readonly ConcurrentDictionary<string, X509Certificate2Collection> RootsByFile = new(StringComparer.Ordinal);

    public static bool IsAcceptable(PostgresTarget target, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        try
        {
            return Check(target, certificate, presented, errors);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // An unreadable root file or certificate is a refusal, never an open door.
            return false;
        }
    }

    private static bool Check(PostgresTarget target, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        // As in libpq: prefer and require encrypt without verifying, unless a root file is given, which makes
        // require behave as verify-ca (an operator who names a CA expects it to be checked).
        var mode = target.SslMode == SslMode.Require && target.RootCertificateFile is not null ? SslMode.VerifyCa : target.SslMode;
        if (mode is SslMode.Prefer or SslMode.Require)
        {
            return true;
        }

        if (mode is not (SslMode.VerifyCa or SslMode.VerifyFull) || certificate is null)
        {
            return false;
        }

        var nameOk = mode == SslMode.VerifyCa || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
        if (target.RootCertificateFile is null)
        {
            return nameOk && (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // Never fetch intermediates from the network inside a handshake; use the ones the server sent.
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.CustomTrustStore.AddRange(RootsByFile.GetOrAdd(target.RootCertificateFile, LoadRoots));
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = new X509Certificate2(certificate);
        return nameOk && chain.Build(leaf);
    }

    /// <summary>A bundle file may hold several CAs, as libpq's sslrootcert does.</summary>
    private static X509Certificate2Collection LoadRoots(string file)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(file);
        return roots;
    }
}
