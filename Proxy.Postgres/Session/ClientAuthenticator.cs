using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Identity.Revocation;
using HoopProxy.Postgres.Authentication;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Protocol.Frontend;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// Authenticates a client as a proxy user. Unknown users go through the same exchange as known ones and
/// fail with the same message, so the answer does not reveal which user names exist — unless an OIDC provider is
/// configured: then a name that is not a configured user with a password logs in with an access token as its password,
/// asked for in cleartext and therefore only inside TLS (docs/identity.md). A revoked credential is refused after it
/// was proven, with the revocation's reason.
/// </summary>
public sealed class ClientAuthenticator
{
    private const int MaxAuthMessageBytes = 8192;
    private readonly UserDirectory _users;
    private readonly ClientAuthenticationMethod _method;
    private readonly ConcurrentDictionary<string, ScramVerifier> _verifiers = new(StringComparer.Ordinal);
    private readonly byte[] _decoySecret = RandomNumberGenerator.GetBytes(32);

    private const string ScramMethod = "scram-sha-256";
    private readonly IdentityServices _identity;

    public ClientAuthenticator(UserDirectory users, ClientAuthenticationMethod method, IdentityServices? identity = null)
    {
        _users = users;
        _method = method;
        _identity = identity ?? IdentityServices.None;
    }

    /// <summary>The method a login as <paramref name="userName"/> uses, for the record of a refused one.</summary>
    public string MethodFor(string userName, bool isTls) =>
        !IsConfiguredWithPassword(userName) && _identity.Tokens is not null ? ClientLogin.TokenMethod
        : _method == ClientAuthenticationMethod.Cleartext && isTls ? "password" : ScramMethod;

    /// <summary>Runs the exchange; returns the login, or throws 28P01 / 28000. On success nothing is sent yet after the final SASL message.</summary>
    public async Task<ClientLogin> AuthenticateAsync(IDuplexPipe client, string userName, bool isTls, CancellationToken cancellationToken)
    {
        // A user with public keys only has no password to check: to PostgreSQL logins they are unknown (an empty
        // password must not match).
        var known = _users.TryFind(userName, out var user) && user.Password is not null;
        if (!known && _identity.Tokens is { } tokens)
        {
            return await TokenAsync(client, tokens, userName, isTls, cancellationToken);
        }

        var cleartext = _method == ClientAuthenticationMethod.Cleartext && isTls;
        var authenticated = cleartext
            ? await CleartextAsync(client, known ? user.Password : null, cancellationToken)
            : await ScramAsync(client, known ? await VerifierForAsync(user) : DecoyVerifier(userName), cancellationToken);
        if (!known || !authenticated)
        {
            throw new PostgresProtocolException(SqlState.InvalidPassword, $"password authentication failed for user \"{userName}\"");
        }

        if (_identity.Revocations.IsRevoked(user: user.Name) is { } revoked)
        {
            throw new PostgresProtocolException(SqlState.InvalidAuthorizationSpecification, revoked.Reason, new CredentialRevokedException(revoked));
        }

        return new ClientLogin(user, null, cleartext ? "password" : ScramMethod, $"user:{user.Name}");
    }

    private bool IsConfiguredWithPassword(string userName) => _users.TryFind(userName, out var user) && user.Password is not null;

    /// <summary>
    /// The access token as the password. Asked for only inside TLS: refused before the client sends it otherwise, so a
    /// bearer token never crosses the network in clear. The token must name the user the client logs in as.
    /// </summary>
    private async Task<ClientLogin> TokenAsync(IDuplexPipe client, TokenLogin tokens, string userName, bool isTls, CancellationToken cancellationToken)
    {
        if (!isTls)
        {
            throw new PostgresProtocolException(SqlState.InvalidAuthorizationSpecification,
                $"user \"{userName}\" logs in with an OIDC access token, which this proxy accepts only over TLS: connect with sslmode=require");
        }

        AuthenticationRequest.WriteCleartextPassword(client.Output);
        await client.Output.FlushAsync(cancellationToken);
        var message = await HandshakeReader.ReadMessageAsync(client.Input, OidcTokenMaxMessageBytes, "client", cancellationToken);
        if (message.Code != (byte)FrontendMessageCode.Password || !PasswordMessage.TryParse(message.BodySequence, out var password))
        {
            throw new PostgresProtocolException(SqlState.ProtocolViolation, "expected a password message carrying the access token");
        }

        var result = await tokens.AuthenticateAsync(Encoding.UTF8.GetString(password.Password.ToArray()), cancellationToken);
        if (result.Identity is not { } identity)
        {
            throw result.Revocation is { } revoked
                ? new PostgresProtocolException(SqlState.InvalidAuthorizationSpecification, revoked.Reason, new CredentialRevokedException(revoked, result.RevokedToken))
                : new PostgresProtocolException(SqlState.InvalidPassword, $"token authentication failed for user \"{userName}\": {result.Refusal}");
        }

        if (identity.Name != userName)
        {
            throw new PostgresProtocolException(SqlState.InvalidAuthorizationSpecification,
                $"the access token is for \"{identity.Name}\", not for user \"{userName}\": connect as the user the token names");
        }

        if (_users.TryFind(identity.Name, out _))
        {
            // A configured user with keys only (no password) has this name: rules, masking and the record name users, and a
            // provider's user must not become a configured one by its name claim.
            throw new PostgresProtocolException(SqlState.InvalidAuthorizationSpecification,
                $"the access token names \"{identity.Name}\", a user configured in the proxy, who logs in with their own credentials");
        }

        return new ClientLogin(new ProxyUser(identity.Name, null, identity.Groups), identity, ClientLogin.TokenMethod, identity.TokenId);
    }

    /// <summary>A password message with a token of <see cref="Core.Identity.Oidc.OidcTokenValidator.MaxTokenLength"/> characters and its framing.</summary>
    private const int OidcTokenMaxMessageBytes = Core.Identity.Oidc.OidcTokenValidator.MaxTokenLength + 64;

    /// <summary>Derived once per user; the first derivation (PBKDF2, milliseconds) runs off the socket thread.</summary>
    private async ValueTask<ScramVerifier> VerifierForAsync(ProxyUser user) =>
        _verifiers.TryGetValue(user.Name, out var verifier)
            ? verifier
            : _verifiers.GetOrAdd(user.Name, await Task.Run(() => ScramVerifier.FromPassword(user.Password!)));

    /// <summary>A stable salt per unknown name (as for a real user) and keys that match no password.</summary>
    private ScramVerifier DecoyVerifier(string userName)
    {
        var salt = HMACSHA256.HashData(_decoySecret, Encoding.UTF8.GetBytes(userName))[..16];
        return new ScramVerifier(salt, ScramSha256.DefaultIterations, RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
    }

    private static async Task<bool> ScramAsync(IDuplexPipe client, ScramVerifier verifier, CancellationToken cancellationToken)
    {
        AuthenticationRequest.WriteSasl(client.Output, [ScramSha256.Mechanism]);
        await client.Output.FlushAsync(cancellationToken);

        var initial = await ReadPasswordMessageAsync(client, cancellationToken);
        if (!SaslInitialResponse.TryParse(initial.BodySequence, out var first))
        {
            throw new PostgresProtocolException(SqlState.ProtocolViolation, "malformed SASLInitialResponse");
        }

        if (first.Mechanism != ScramSha256.Mechanism)
        {
            throw new PostgresProtocolException(SqlState.InvalidAuthorizationSpecification,
                $"SASL mechanism \"{first.Mechanism}\" is not supported; the proxy offers {ScramSha256.Mechanism}");
        }

        var exchange = new ScramServerExchange(verifier);
        var serverFirst = exchange.HandleClientFirst(Encoding.UTF8.GetString(first.Data));
        if (serverFirst is null)
        {
            throw new PostgresProtocolException(SqlState.ProtocolViolation, "malformed SCRAM client-first message");
        }

        AuthenticationRequest.WriteSaslContinue(client.Output, serverFirst);
        await client.Output.FlushAsync(cancellationToken);

        var response = await ReadPasswordMessageAsync(client, cancellationToken);
        var serverFinal = exchange.HandleClientFinal(Encoding.UTF8.GetString(response.Body));
        if (serverFinal is null)
        {
            return false;
        }

        AuthenticationRequest.WriteSaslFinal(client.Output, serverFinal);
        return true;
    }

    private static async Task<bool> CleartextAsync(IDuplexPipe client, string? expected, CancellationToken cancellationToken)
    {
        AuthenticationRequest.WriteCleartextPassword(client.Output);
        await client.Output.FlushAsync(cancellationToken);
        var message = await ReadPasswordMessageAsync(client, cancellationToken);
        if (!PasswordMessage.TryParse(message.BodySequence, out var password))
        {
            throw new PostgresProtocolException(SqlState.ProtocolViolation, "malformed password message");
        }

        // Hash both sides so the comparison takes the same time whatever the lengths.
        var given = SHA256.HashData(password.Password.ToArray());
        var wanted = SHA256.HashData(Encoding.UTF8.GetBytes(expected ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(24))));
        return CryptographicOperations.FixedTimeEquals(given, wanted) && expected is not null;
    }

    private static async Task<OwnedMessage> ReadPasswordMessageAsync(IDuplexPipe client, CancellationToken cancellationToken)
    {
        var message = await HandshakeReader.ReadMessageAsync(client.Input, MaxAuthMessageBytes, "client", cancellationToken);
        if (message.Code != (byte)FrontendMessageCode.Password)
        {
            throw new PostgresProtocolException(SqlState.ProtocolViolation,
                $"expected a password message, got message type '{(char)message.Code}'");
        }

        return message;
    }
}
