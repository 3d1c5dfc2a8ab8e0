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
/// user's own password, compared in constant time). With an OIDC provider configured (<see cref="Identity"/>), the
/// password may instead be an access token whose name claim is the user part of the login name, and
/// "keyboard-interactive" (RFC 4256) is offered too: one hidden prompt, whose answer is judged exactly as a password.
/// The user name may name a target (<see cref="SshLoginName"/>). The first user name is the only one (OpenSSH's rule: a
/// change of user or service mid-authentication ends the connection), and after
/// <see cref="SshProxyOptions.MaxAuthAttempts"/> failed attempts the connection is closed. Unknown users and targets get
/// the same failures as wrong credentials, so the proxy does not reveal who exists; a refused token or a revoked
/// credential is explained in an SSH_MSG_USERAUTH_BANNER first (it says nothing about who exists: any token-shaped
/// password is validated, whatever the name). Once authenticated, a missing or unknown target is named in the
/// disconnect message.
/// </summary>
public sealed class SshClientAuthenticator(UserDirectory users, AuthorizedKeyDirectory keys, SshProxyOptions options)
{
    public static readonly string[] Methods = [PublicKeyAuthMethod.MethodName, PasswordAuthMethod.MethodName];

    /// <summary>What is offered when tokens are accepted: keyboard-interactive lets a person paste the token at a prompt.</summary>
    public static readonly string[] MethodsWithTokens = [.. Methods, KeyboardInteractiveAuthMethod.MethodName];

    /// <summary>The one keyboard-interactive prompt (not echoed).</summary>
    public const string TokenPrompt = "Access token (or password): ";

    /// <summary>
    /// OpenSSH reads at most this many characters from a password or keyboard-interactive prompt (and from SSH_ASKPASS)
    /// and silently drops the rest, so a longer token arrives cut and fails its signature check.
    /// </summary>
    public const int OpenSshPromptLimit = 1023;

    /// <summary>OIDC access tokens (as a password or keyboard-interactive answer) and the revocation list.</summary>
    public IdentityServices Identity { get; init; } = IdentityServices.None;

    private string[] OfferedMethods => Identity.Tokens is null ? Methods : MethodsWithTokens;

    /// <summary>Runs the exchange to USERAUTH_SUCCESS (sent only after <paramref name="beforeSuccess"/>, the upstream login, completes).</summary>
    /// <param name="onAttempt">Told about each attempt (for the log and the record).</param>
    public async Task<SshClientLogin> AuthenticateAsync(SshTransport transport, Func<SshLoginAttempt, ValueTask> onAttempt,
        Func<SshClientLogin, ValueTask> beforeSuccess, CancellationToken cancellationToken)
    {
        await AcceptServiceAsync(transport, cancellationToken);
        string? firstName = null;
        var failures = 0;
        byte[]? next = null;
        while (true)
        {
            var payload = next ?? await transport.ReceiveAsync(cancellationToken);
            next = null;
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

            var outcome = request.Method is KeyboardInteractiveAuthMethod && Identity.Tokens is not null
                ? await KeyboardInteractiveAsync(transport, request, cancellationToken)
                : await JudgeAsync(request, transport.SessionId, cancellationToken);
            if (outcome.Abandoned is { } newRequest)
            {
                next = newRequest;
                continue;
            }

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
                await onAttempt(new SshLoginAttempt(request.UserName, outcome.Method ?? request.Method.MethodNameOnWire, Accepted: false,
                    outcome.KeyFingerprint, outcome.Reason, outcome.ErrorCode, outcome.TokenId));
                if (outcome.Explained)
                {
                    // OpenSSH prints a banner on stderr (at its default LogLevel INFO); before the failure, so it is
                    // read before ssh tries its next method or gives up.
                    await transport.SendAsync(MessageBytes.Of(new UserAuthBanner($"hoopproxy: {outcome.Reason}\r\n").WriteTo), cancellationToken);
                }

                if (failures >= options.MaxAuthAttempts)
                {
                    throw new SshProtocolException(SshDisconnectReason.NoMoreAuthMethodsAvailable,
                        $"too many authentication failures ({failures})");
                }
            }

            await transport.SendAsync(MessageBytes.Of(new UserAuthFailure(OfferedMethods).WriteTo), cancellationToken);
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

    private async ValueTask<Outcome> JudgeAsync(UserAuthRequest request, byte[] sessionId, CancellationToken cancellationToken)
    {
        var name = ParseName(request.UserName);
        switch (request.Method)
        {
            case NoneAuthMethod:
                return new Outcome(Counts: false);
            case PasswordAuthMethod password:
                return password.IsChange
                    ? Failure("password change is not offered")
                    : await JudgeSecretAsync(name, password.Password, PasswordAuthMethod.MethodName, cancellationToken);
            case PublicKeyAuthMethod publicKey:
                return JudgeKey(request, publicKey, name, sessionId);
            default:
                return Failure($"method \"{request.Method.MethodNameOnWire}\" is not offered");
        }
    }

    private SshLoginName ParseName(string loginName) => SshLoginName.Parse(loginName, options.Targets.ContainsKey);

    private Outcome JudgeKey(UserAuthRequest request, PublicKeyAuthMethod publicKey, SshLoginName name, byte[] sessionId)
    {
        var fingerprint = SshPublicKey.FingerprintOf(publicKey.PublicKey.Span);
        var known = users.TryFind(name.User, out var user);
        if (!known || !keys.IsAuthorized(user!.Name, publicKey.PublicKey.Span))
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

        // Only once the key is proven: a revocation is explained to its holder, not to whoever names its public half.
        if (Identity.Revocations.IsRevoked(user: user.Name, keyFingerprint: fingerprint) is { } revoked)
        {
            return Refusal(revoked.Reason, PublicKeyAuthMethod.MethodName, revoked.ErrorCode, fingerprint);
        }

        return new Outcome(Login: SshClientLogin.WithKey(user, TargetOf(name), fingerprint), KeyFingerprint: fingerprint);
    }

    /// <summary>
    /// A password, or the answer to the keyboard-interactive prompt: first the configured user's password; failing that,
    /// with tokens configured and a secret shaped like a JWT, an access token. A configured user can therefore never be
    /// locked out by a token-shaped password of their own, and a token is tried whatever the name (the answer does
    /// not depend on which users exist).
    /// </summary>
    private async ValueTask<Outcome> JudgeSecretAsync(SshLoginName name, string secret, string wireMethod, CancellationToken cancellationToken)
    {
        var known = users.TryFind(name.User, out var user);
        var expected = known ? user!.Password : null;
        // Compared even for unknown users (against a fixed value), so timing does not tell which users exist.
        var matches = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(secret)), SHA256.HashData(Encoding.UTF8.GetBytes(expected ?? "\0unknown user")));
        if (matches && expected is not null)
        {
            return Identity.Revocations.IsRevoked(user: user!.Name) is { } revoked
                ? Refusal(revoked.Reason, wireMethod, revoked.ErrorCode)
                : new Outcome(Login: SshClientLogin.WithPassword(user, TargetOf(name), wireMethod));
        }

        if (Identity.Tokens is { } tokens)
        {
            if (TokenLogin.LooksLikeToken(secret))
            {
                return await JudgeTokenAsync(tokens, name, secret, wireMethod, cancellationToken);
            }

            if (CutByOpenSsh(secret))
            {
                // Cut before its signature, a token is no longer shaped like one; say why it fails rather than nothing.
                return Refusal(CutTokenReason, TokenMethod(wireMethod), "token-truncated");
            }
        }

        return Failure(known ? "wrong password" : "unknown user");
    }

    private async ValueTask<Outcome> JudgeTokenAsync(TokenLogin tokens, SshLoginName name, string token, string wireMethod, CancellationToken cancellationToken)
    {
        var method = TokenMethod(wireMethod);
        var result = await tokens.AuthenticateAsync(token, cancellationToken);
        if (result.Identity is not { } identity)
        {
            var reason = result.Refusal ?? "the access token was refused";
            if (CutByOpenSsh(token) && result.Revocation is null)
            {
                reason += $" ({CutTokenReason})";
            }

            var revokedId = result.Revocation is { Kind: Core.Identity.Revocation.RevocationKind.TokenId } match ? match.Value : null;
            return Refusal(reason, method, result.ErrorCode, tokenId: revokedId);
        }

        if (identity.Name != name.User)
        {
            return Refusal($"the access token is for '{identity.Name}', not for '{name.User}': log in as {identity.Name}", method, "token-wrong-user",
                tokenId: identity.TokenId);
        }

        if (users.TryFind(identity.Name, out _))
        {
            // Rules, masking and the record name users: a provider's user must not become a configured one by its name claim.
            return Refusal($"the access token names '{identity.Name}', a user configured in the proxy, who logs in with their own credentials", method,
                "token-configured-user", tokenId: identity.TokenId);
        }

        return new Outcome(Login: SshClientLogin.WithToken(identity, TargetOf(name), method));
    }

    private static string TokenMethod(string wireMethod) =>
        wireMethod == PasswordAuthMethod.MethodName ? SshClientLogin.TokenPassword : SshClientLogin.TokenKeyboardInteractive;

    /// <summary>A secret that starts like a JWT and is exactly as long as OpenSSH reads at a prompt: most likely a longer token, cut.</summary>
    private static bool CutByOpenSsh(string secret) => secret.Length == OpenSshPromptLimit && secret.StartsWith("eyJ", StringComparison.Ordinal);

    private static readonly string CutTokenReason =
        $"the password is exactly {OpenSshPromptLimit} characters and starts like an access token: OpenSSH reads no more than that at a prompt, " +
        "so the token was probably cut; use a shorter token, a client without the limit, or a key";

    /// <summary>
    /// RFC 4256: one hidden prompt; its answer is judged as a password. A new USERAUTH_REQUEST instead of the answer
    /// abandons the exchange (RFC 4252 §5: a request may be sent at any time) without counting as a failure.
    /// </summary>
    private async ValueTask<Outcome> KeyboardInteractiveAsync(SshTransport transport, UserAuthRequest request, CancellationToken cancellationToken)
    {
        var question = new UserAuthInfoRequest("", "", [new KeyboardPrompt(TokenPrompt, Echo: false)]);
        await transport.SendAsync(MessageBytes.Of(question.WriteTo), cancellationToken);
        var payload = await transport.ReceiveAsync(cancellationToken);
        switch ((SshMessageNumber)payload[0])
        {
            case SshMessageNumber.UserAuthInfoResponse:
                var answer = UserAuthInfoResponse.Parse(payload);
                if (answer.Responses.Count != question.Prompts.Count)
                {
                    throw new SshProtocolException(SshDisconnectReason.ProtocolError,
                        $"{UserAuthInfoResponse.Name} has {answer.Responses.Count} responses to {question.Prompts.Count} prompt");
                }

                return await JudgeSecretAsync(ParseName(request.UserName), answer.Responses[0], KeyboardInteractiveAuthMethod.MethodName, cancellationToken);
            case SshMessageNumber.UserAuthRequest:
                return new Outcome(Abandoned: payload);
            default:
                throw new SshProtocolException(SshDisconnectReason.ProtocolError,
                    $"expected {UserAuthInfoResponse.Name} to answer the keyboard-interactive prompt, got message {payload[0]}");
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

    /// <summary>A failure the client is not told about beyond USERAUTH_FAILURE (who exists stays hidden).</summary>
    private static Outcome Failure(string reason, string? fingerprint = null) => new(Counts: true, Reason: reason, KeyFingerprint: fingerprint);

    /// <summary>A failure whose reason the client reads in a banner: a refused token, a revoked credential.</summary>
    private static Outcome Refusal(string reason, string method, string? errorCode, string? fingerprint = null, string? tokenId = null) =>
        new(Counts: true, Reason: reason, KeyFingerprint: fingerprint, Method: method, ErrorCode: errorCode, TokenId: tokenId, Explained: true);

    /// <param name="Abandoned">A new USERAUTH_REQUEST that arrived instead of a keyboard-interactive answer, to judge next.</param>
    /// <param name="Method">The method as recorded when it is not the wire name (a token's).</param>
    /// <param name="Explained">Whether <paramref name="Reason"/> goes to the client in a banner.</param>
    private sealed record Outcome(bool Counts = false, SshClientLogin? Login = null, UserAuthPublicKeyOk? KeyQueryAccepted = null,
        string? Reason = null, string? KeyFingerprint = null, string? Method = null, string? ErrorCode = null, string? TokenId = null,
        bool Explained = false, byte[]? Abandoned = null);
}
