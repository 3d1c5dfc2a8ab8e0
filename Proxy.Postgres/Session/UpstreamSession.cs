using HoopProxy.Core.Networking;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// A logged-in connection to a target, ready for queries. <see cref="GreetingMessages"/> are the
/// ParameterStatus and NoticeResponse messages the server sent after login, as wire bytes, for the
/// proxy to pass on to its client.
/// </summary>
public sealed record UpstreamSession(
    PostgresTarget Target,
    PumpedDuplexPipe Pipe,
    BackendKeyData Key,
    IReadOnlyList<byte[]> GreetingMessages,
    TransactionStatus Status,
    bool IsTls);
