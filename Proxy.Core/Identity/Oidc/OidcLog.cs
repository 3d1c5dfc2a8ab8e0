using Microsoft.Extensions.Logging;

namespace HoopProxy.Core.Identity.Oidc;

/// <summary>Log messages of the OIDC validator, 6000–6099.</summary>
internal static partial class OidcLog
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "OIDC signing keys loaded from {Source}: {Keys}")]
    public static partial void KeysLoaded(ILogger logger, string source, string keys);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Error, Message = "OIDC signing keys from {Address} could not be fetched (no keys at all: {NoKeys}; otherwise the keys in force stay): {Reason}")]
    public static partial void KeysFetchFailed(ILogger logger, string address, bool noKeys, string reason);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "OIDC JWKS file {Path} rejected, the keys in force stay: {Reason}")]
    public static partial void KeysRejected(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Debug, Message = "a token names an unknown kid; the keys were fetched less than {Interval} ago, so not again")]
    public static partial void UnknownKeyRefreshDeferred(ILogger logger, TimeSpan interval);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Debug, Message = "OIDC token refused, {Rejection}: {Reason} ({Detail})")]
    public static partial void TokenRefused(ILogger logger, TokenRejection rejection, string reason, string detail);
}
