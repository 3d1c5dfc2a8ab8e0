using System.Security.Cryptography;
using System.Text;
using HoopProxy.Core.Identity;
using HoopProxy.Ssh.Authentication.Messages;
using HoopProxy.Ssh.Configuration;
using HoopProxy.Ssh.Keys;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Authentication;

/// <summary>
/// RFC 4252 in the server role: who the client is. Methods "publickey" (a key from the user's <c>AuthorizedKeys</c>, the
/// signature checked over this connection's session id; the fingerprint is the credential) and "password" (the proxy
/// user's own password, compared in constant time). The user name may name a target (<see cref="SshLoginName"/>). The
/// first user name is the only one (OpenSSH's rule: a change of user or service mid-authentication ends the connection),
/// and after <see cref="SshProxyOptions.MaxAuthAttempts"/> failed attempts the connection is closed. Unknown users and
/// targets get the same failures as wrong credentials, so the proxy does not reveal who exists; once authenticated, a
/// missing or unknown target is named in the disconnect message.
/// </summary>
public sealed class SshClientAuthenticator(UserDirectory users, AuthorizedKeyDirectory keys, SshProxyOptions options)
{
    public static readonly string[] Methods = [PublicKeyAuthMethod.MethodName, PasswordAuthMethod.MethodName];

    /// <summary>OIDC access tokens (as a password or keyboard-interactive answer) and the revocation list.</summary>
    public IdentityServices Identity { get; init; } = IdentityServices.None;

    /// <summary>Runs the exchange to USERAUTH_SUCCESS (sent only after <paramref name="beforeSuccess"/>, the upstream login, completes).</summary>
    /// <param name="onAttempt">Told about each attempt (for the log and the record).</param>
    public async Task<SshClientLogin> AuthenticateAsync(SshTransport transport, Func<SshLoginAttempt, ValueTask> onAttempt,
        Func<SshClientLogin, ValueTask> beforeSuccess, CancellationToken cancellationToken)
    {
        await AcceptServiceAsync(transport, cancellationToken);
        string? firstName = null;
        var failures = 0;
        while (true)
        {
            var payload = await transport.ReceiveAsync(cancellationToken);
            if (payload[0] != (byte)SshMessageNumber.UserAuthRequest)
            {
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"expected SSH_MSG_USERAUTH_REQUEST, got message {payload[0]}");
            }

            var request = UserAuthRequest.Parse(payload);
            if (firstName is not null && firstName != request.UserName)
            {
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, "the user name changed during authentication");
            }

            firstName = request.UserName;
            if (request.ServiceName != ServiceRequest.Connection)
            {
                throw new SshProtocolException(SshDisconnectReason.ServiceNotAvailable, $"service \"{request.ServiceName}\" is not offered after authentication");
            }

            var outcome = Judge(request, transport.SessionId);
            if (outcome.KeyQueryAccepted is { } ok)
            {
                await transport.SendAsync(MessageBytes.Of(ok.WriteTo), cancellationToken);
                continue;
            }

            if (outcome.Login is { } login)
            {
                await onAttempt(new SshLoginAttempt(request.UserName, login.Method, Accepted: true, outcome.KeyFingerprint, null));
                await beforeSuccess(login);
                await transport.SendAsync(new byte[] { (byte)SshMessageNumber.UserAuthSuccess }, cancellationToken);
                return login;
            }

            if (outcome.Counts)
            {
                failures++;
                await onAttempt(new SshLoginAttempt(request.UserName, request.Method.MethodNameOnWire, Accepted: false, outcome.KeyFingerprint, outcome.Reason));
                if (failures >= options.MaxAuthAttempts)
                {
                    throw new SshProtocolException(SshDisconnectReason.NoMoreAuthMethodsAvailable,
                        $"too many authentication failures ({failures})");
                }
            }

            await transport.SendAsync(MessageBytes.Of(new UserAuthFailure(Methods).WriteTo), cancellationToken);
        }
    }

    private static async Task AcceptServiceAsync(SshTransport transport, CancellationToken cancellationToken)
    {
        var payload = await transport.ReceiveAsync(cancellationToken);
        if (payload[0] != (byte)SshMessageNumber.ServiceRequest)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"expected SSH_MSG_SERVICE_REQUEST, got message {payload[0]}");
        }

        var service = ServiceRequest.Parse(payload).ServiceName;
        if (service != ServiceRequest.UserAuth)
        {
            throw new SshProtocolException(SshDisconnectReason.ServiceNotAvailable, $"service \"{service}\" is not available before authentication");
        }

        await transport.SendAsync(MessageBytes.Of(new ServiceAccept(service).WriteTo), cancellationToken);
    }

    private Outcome Judge(UserAuthRequest request, byte[] sessionId)
    {
        var name = SshLoginName.Parse(request.UserName, options.Targets.ContainsKey);
        var known = users.TryFind(name.User, out var user);
        switch (request.Method)
        {
            case NoneAuthMethod:
                return new Outcome(Counts: false);
            case PasswordAuthMethod password:
                if (password.IsChange)
                {
                    return Failure("password change is not offered");
                }

                var expected = known ? user.Password : null;
                // Compared even for unknown users (against a fixed value), so timing does not tell which users exist.
                var matches = CryptographicOperations.FixedTimeEquals(
                    SHA256.HashData(Encoding.UTF8.GetBytes(password.Password)), SHA256.HashData(Encoding.UTF8.GetBytes(expected ?? "\0unknown user")));
                return matches && expected is not null
                    ? new Outcome(Login: new SshClientLogin(user, TargetOf(name), PasswordAuthMethod.MethodName, $"user:{user.Name}"))
                    : Failure(known ? "wrong password" : "unknown user");
            case PublicKeyAuthMethod publicKey:
                var fingerprint = SshPublicKey.FingerprintOf(publicKey.PublicKey.Span);
                if (!known || !keys.IsAuthorized(user.Name, publicKey.PublicKey.Span))
                {
                    return Failure(known ? "key not authorized for this user" : "unknown user", fingerprint);
                }

                if (publicKey.Signature is null)
                {
                    return new Outcome(KeyQueryAccepted: new UserAuthPublicKeyOk(publicKey.Algorithm, publicKey.PublicKey));
                }

                if (!SshPublicKey.TryParseBlob(publicKey.PublicKey.Span, out var key, out _)
                    || !key.Verify(publicKey.Algorithm, request.PublicKeySignedData(sessionId), publicKey.Signature.Value.Span))
                {
                    return Failure("the signature does not verify", fingerprint);
                }

                return new Outcome(Login: new SshClientLogin(user, TargetOf(name), PublicKeyAuthMethod.MethodName, fingerprint), KeyFingerprint: fingerprint);
            default:
                return Failure($"method \"{request.Method.MethodNameOnWire}\" is not offered");
        }
    }

    private SshTarget TargetOf(SshLoginName name)
    {
        var targetName = name.Target ?? options.DefaultTarget;
        if (targetName is null)
        {
            throw new SshProtocolException(SshDisconnectReason.IllegalUserName,
                $"name a target in the user name: {name.User}{SshLoginName.Separator}TARGET (targets: {string.Join(", ", options.Targets.Keys.Order())})");
        }

        return options.Targets[targetName];
    }

    private static Outcome Failure(string reason, string? fingerprint = null) => new(Counts: true, Reason: reason, KeyFingerprint: fingerprint);

    private sealed record Outcome(bool Counts = false, SshClientLogin? Login = null, UserAuthPublicKeyOk? KeyQueryAccepted = null,
        string? Reason = null, string? KeyFingerprint = null);
}
