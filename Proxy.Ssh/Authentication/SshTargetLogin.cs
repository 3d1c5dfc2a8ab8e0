using HoopProxy.Ssh.Authentication.Messages;
using HoopProxy.Ssh.Configuration;
using HoopProxy.Ssh.Keys;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Authentication;

/// <summary>The target refused the proxy's credentials, or broke off the login: the client is told, the credentials never.</summary>
public sealed class SshTargetLoginException(string message) : Exception(message);

/// <summary>
/// RFC 4252 in the client role: the proxy logs in to a target with the credential only it holds — the target's private
/// key (signed over the session id, RSA with SHA-2) or password, from configuration. Banners are read and dropped.
/// </summary>
public static class SshTargetLogin
{
    /// <param name="key">The target's key, loaded once at start; null when the target has a password instead.</param>
    public static async Task LoginAsync(SshTransport transport, SshTarget target, SshPrivateKey? key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(target);
        await transport.SendAsync(MessageBytes.Of(new ServiceRequest(ServiceRequest.UserAuth).WriteTo), cancellationToken);
        var accept = await ReceiveSkippingBannersAsync(transport, cancellationToken);
        if (accept[0] != (byte)SshMessageNumber.ServiceAccept)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"the target answered the user authentication request with message {accept[0]}");
        }

        UserAuthRequest request;
        if (key is not null)
        {
            var algorithm = SignatureAlgorithm(key);
            var blob = key.PublicKey.Blob;
            var signed = PublicKeyAuthMethod.SignedData(transport.SessionId, target.Username, ServiceRequest.Connection, algorithm, blob.Span);
            request = new UserAuthRequest(target.Username, ServiceRequest.Connection, new PublicKeyAuthMethod(algorithm, blob, key.Sign(algorithm, signed)));
        }
        else
        {
            request = new UserAuthRequest(target.Username, ServiceRequest.Connection, new PasswordAuthMethod(target.Password!));
        }

        await transport.SendAsync(MessageBytes.Of(request.WriteTo), cancellationToken);
        var answer = await ReceiveSkippingBannersAsync(transport, cancellationToken);
        switch ((SshMessageNumber)answer[0])
        {
            case SshMessageNumber.UserAuthSuccess:
                return;
            case SshMessageNumber.UserAuthFailure:
                var failure = UserAuthFailure.Parse(answer);
                throw new SshTargetLoginException(
                    $"the target refused the proxy's {request.Method.MethodNameOnWire} login as '{target.Username}' (it accepts: {string.Join(",", failure.MethodsThatCanContinue)})");
            default:
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"the target answered the login with message {answer[0]}");
        }
    }

    /// <summary>RSA keys sign with SHA-512 (RFC 8332; SHA-1 "ssh-rsa" is disabled in OpenSSH 8.8+); other keys with their one algorithm.</summary>
    private static string SignatureAlgorithm(SshPrivateKey key) =>
        key.PublicKey.KeyType == SshKeyAlgorithms.Rsa ? SshKeyAlgorithms.RsaSha512 : key.PublicKey.KeyType;

    private static async Task<byte[]> ReceiveSkippingBannersAsync(SshTransport transport, CancellationToken cancellationToken)
    {
        while (true)
        {
            var payload = await transport.ReceiveAsync(cancellationToken);
            if (payload[0] != (byte)SshMessageNumber.UserAuthBanner)
            {
                return payload;
            }
        }
    }
}
