namespace HoopProxy.Core.Recording;

/// <summary>Who connected to what, written as the first record of the session file.</summary>
public sealed record SessionMetadata(
    string SessionId,
    string Protocol,
    string Target,
    string Listener,
    string? Identity,
    IReadOnlyList<string> Groups,
    string? AuthenticationMethod,
    string? CredentialId,
    string? UpstreamAccount,
    string ClientAddress,
    int ClientPort,
    string ProxyHost,
    DateTimeOffset StartedAt);
