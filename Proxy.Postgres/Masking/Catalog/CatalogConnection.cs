using System.IO.Pipelines;
using System.Text;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Protocol.Frontend;
using HoopProxy.Postgres.Session;

namespace HoopProxy.Postgres.Masking.Catalog;

/// <summary>
/// The column catalog's own logged-in connection to a target, speaking just enough of the protocol for catalog
/// questions: a simple query whose rows come back as strings, and Parse + Describe of the unnamed statement.
/// Not thread-safe: <see cref="ColumnCatalog"/> serializes its requests.
/// </summary>
/// <remarks>
/// A server error leaves the connection usable and is thrown as <see cref="ColumnCatalogException"/>; anything that
/// leaves the protocol state unknown (a closed socket, a FATAL error, an unexpected message) is thrown as
/// <see cref="CatalogConnectionBrokenException"/> and the connection must be dropped.
/// </remarks>
internal sealed class CatalogConnection : IAsyncDisposable
{
    /// <summary>A view's stored query tree can be large (hundreds of columns, long expressions); a catalog answer beyond this is refused.</summary>
    private const int MaxMessageBytes = 64 * 1024 * 1024;

    private readonly UpstreamSession _session;
    private readonly string _targetName;

    private CatalogConnection(UpstreamSession session)
    {
        _session = session;
        _targetName = session.Target.Name;
    }

    /// <summary>The server process serving this connection (what pg_stat_activity calls pid).</summary>
    public int ProcessId => _session.Key.ProcessId;

    /// <param name="serverTimeout">
    /// Becomes the connection's statement_timeout (and half of it its lock_timeout, so that a Parse waiting for a lock
    /// held by someone's DDL says so), so a slow request ends with a server error, which leaves the connection in step,
    /// before the caller's own timeout, which does not.
    /// </param>
    public static async Task<CatalogConnection> OpenAsync(UpstreamConnector connector, PostgresTarget target, TimeSpan serverTimeout, CancellationToken cancellationToken)
    {
        static string Milliseconds(TimeSpan value) => Math.Max(1, (long)value.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        KeyValuePair<string, string>[] parameters =
        [
            new("application_name", "hoopproxy column catalog"),
            // Names are decoded as UTF-8 whatever the database's encoding.
            new("client_encoding", "UTF8"),
            new("statement_timeout", Milliseconds(serverTimeout)),
            new("lock_timeout", Milliseconds(serverTimeout / 2)),
            // Client text is parsed here (DescribeAsync), never executed; read-only transactions make sure nothing writes anyway.
            new("default_transaction_read_only", "on"),
        ];
        var session = await connector.ConnectAsync(target, parameters, cancellationToken);
        return new CatalogConnection(session);
    }

    /// <summary>Runs <paramref name="sql"/> (text the proxy wrote, never a client's) and returns every row's columns as text (null for NULL).</summary>
    public async Task<IReadOnlyList<string?[]>> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        Query.Write(_session.Pipe.Output, sql);
        await FlushAsync(cancellationToken);
        var rows = new List<string?[]>();
        ColumnCatalogException? error = null;
        while (true)
        {
            var message = await ReadAsync(cancellationToken);
            switch ((BackendMessageCode)message.Code)
            {
                case BackendMessageCode.DataRow:
                    rows.Add(DecodeRow(message));
                    break;
                case BackendMessageCode.ErrorResponse:
                    error ??= new ColumnCatalogException($"the column catalog query failed on target \"{_targetName}\": {ServerMessage(message)}");
                    break;
                case BackendMessageCode.ReadyForQuery:
                    return error is null ? rows : throw error;
                case BackendMessageCode.RowDescription:
                case BackendMessageCode.CommandComplete:
                case BackendMessageCode.EmptyQueryResponse:
                    break;
                default:
                    SkipAsynchronous(message);
                    break;
            }
        }
    }

    /// <summary>Parse and Describe of the unnamed statement, then Sync: the columns <paramref name="sql"/> would return (none for NoData).</summary>
    public async Task<IReadOnlyList<FieldDescription>> DescribeAsync(string sql, CancellationToken cancellationToken)
    {
        var output = _session.Pipe.Output;
        Parse.Write(output, "", sql, []);
        Describe.Write(output, DescribeTarget.Statement, "");
        Sync.Write(output);
        await FlushAsync(cancellationToken);
        IReadOnlyList<FieldDescription> fields = [];
        ColumnCatalogException? error = null;
        while (true)
        {
            var message = await ReadAsync(cancellationToken);
            switch ((BackendMessageCode)message.Code)
            {
                case BackendMessageCode.RowDescription:
                    fields = RowDescription.TryParse(message.BodySequence, out var description)
                        ? description.Fields
                        : throw new CatalogConnectionBrokenException($"target \"{_targetName}\" sent a malformed RowDescription");
                    break;
                case BackendMessageCode.ErrorResponse:
                    error ??= new ColumnCatalogException($"target \"{_targetName}\" could not describe the statement: {ServerMessage(message)}");
                    break;
                case BackendMessageCode.ReadyForQuery:
                    return error is null ? fields : throw error;
                case BackendMessageCode.ParseComplete:
                case BackendMessageCode.ParameterDescription:
                case BackendMessageCode.NoData:
                    break;
                default:
                    SkipAsynchronous(message);
                    break;
            }
        }
    }

    /// <summary>Closes the socket at once; a request in progress fails.</summary>
    public void Abort() => _session.Pipe.Abort();

    /// <summary>Says goodbye (Terminate) so the server ends the backend at once, then closes.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            Terminate.Write(_session.Pipe.Output);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await _session.Pipe.Output.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The connection is gone already or will be in a moment: nothing to say goodbye to.
        }

        await _session.Pipe.DisposeAsync();
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        FlushResult result;
        try
        {
            result = await _session.Pipe.Output.FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Lost(e);
        }

        if (result.IsCompleted)
        {
            throw new CatalogConnectionBrokenException($"the connection to target \"{_targetName}\" is closed");
        }
    }

    private async Task<OwnedMessage> ReadAsync(CancellationToken cancellationToken)
    {
        OwnedMessage message;
        try
        {
            message = await HandshakeReader.ReadMessageAsync(_session.Pipe.Input, MaxMessageBytes, "target", cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Lost(e);
        }

        if (message.Code == (byte)BackendMessageCode.ErrorResponse && IsFatal(message))
        {
            // The server ends the session after a FATAL (an administrator's pg_terminate_backend, a shutdown).
            throw new CatalogConnectionBrokenException($"target \"{_targetName}\" ended the column catalog's connection: {ServerMessage(message)}");
        }

        return message;
    }

    /// <summary>Messages the server may send between any two others; anything else means the conversation is not what we think.</summary>
    private void SkipAsynchronous(OwnedMessage message)
    {
        if ((BackendMessageCode)message.Code is not (BackendMessageCode.NoticeResponse or BackendMessageCode.ParameterStatus or BackendMessageCode.NotificationResponse))
        {
            throw new CatalogConnectionBrokenException($"target \"{_targetName}\" sent an unexpected message '{(char)message.Code}' to the column catalog");
        }
    }

    private static string?[] DecodeRow(OwnedMessage message)
    {
        if (!DataRow.TryParse(message.BodySequence, out var row))
        {
            throw new CatalogConnectionBrokenException("the target sent a malformed DataRow");
        }

        var columns = new string?[row.Columns.Count];
        var index = 0;
        foreach (var value in row.Columns)
        {
            columns[index++] = value.IsNull ? null : Encoding.UTF8.GetString(value.Data);
        }

        return columns;
    }

    private static bool IsFatal(OwnedMessage message) =>
        ErrorResponse.TryParse(message.BodySequence, out var error) && error.Severity is "FATAL" or "PANIC";

    private static string ServerMessage(OwnedMessage message) =>
        ErrorResponse.TryParse(message.BodySequence, out var error)
            ? $"{error.Message} (SQLSTATE {error.SqlState})"
            : "a malformed error message";

    private CatalogConnectionBrokenException Lost(Exception e) =>
        new($"the connection to target \"{_targetName}\" was lost: {e.Message}", e);
}

/// <summary>The catalog connection's protocol state is unknown (closed, reset, FATAL, out of step): it must be dropped.</summary>
internal sealed class CatalogConnectionBrokenException(string message, Exception? inner = null) : Exception(message, inner);
