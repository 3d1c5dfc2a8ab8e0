using HoopProxy.Postgres.Masking.Copy;
using HoopProxy.Postgres.Masking.Wire;
using HoopProxy.Postgres.Sql;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// What the client asked of the server, in order, so the server side can tell which request each answer belongs
/// to (PostgreSQL answers in order). The client relay appends one before forwarding the message; the server
/// relay takes them as their answers complete.
/// </summary>
internal abstract record ClientRequest
{
    /// <summary>Sync, Query and FunctionCall end a batch: their ReadyForQuery completes them and everything before.</summary>
    public virtual bool EndsBatch => false;
}

/// <summary>A COPY … TO STDOUT as the client wrote it: how to read its data and where the data comes from, or why it cannot be read.</summary>
/// <param name="NamesUnqualifiedRelations">It names a table without its schema, which the session's search_path resolves.</param>
internal sealed record CopyStatement(CopyOutOptions? Options, CopySource? Source, string? Error, bool NamesUnqualifiedRelations)
{
    /// <summary>The COPY … TO STDOUT this statement is; null for a COPY that sends no rows to the client.</summary>
    public static CopyStatement? From(StatementInfo statement) =>
        CopyOutOptions.TryFromStatement(statement.Text, out var options, out var source, out var error)
            ? new CopyStatement(options, source, null, statement.HasUnqualifiedRelations)
            : CopyOutOptions.SendsNoRows(error) ? null
            : new CopyStatement(null, null, error, statement.HasUnqualifiedRelations);
}

/// <param name="CopyStatements">Its COPY … TO STDOUT statements, in order, for the CopyOutResponses they start.</param>
internal sealed record QueryRequest(IReadOnlyList<CopyStatement> CopyStatements) : ClientRequest
{
    public override bool EndsBatch => true;

    /// <summary>Server side: how many of its COPY statements have started.</summary>
    public int CopiesStarted { get; set; }
}

/// <param name="CopyStatement">The text when the statement is a COPY, for a CopyOutResponse its Execute starts.</param>
/// <param name="DescriptionMayChange">FETCH, EXECUTE or text the parser cannot read: a Describe of it is not trusted for later rows.</param>
internal sealed record ParseRequest(string StatementName, CopyStatement? CopyStatement, bool DescriptionMayChange) : ClientRequest;

internal sealed record BindRequest(string PortalName, string StatementName, short[] ResultFormats) : ClientRequest;

internal sealed record DescribeRequest(bool Statement, string Name) : ClientRequest;

internal sealed record ExecuteRequest(string PortalName) : ClientRequest
{
    /// <summary>Server side: the portal's row plan, looked up at its first row.</summary>
    public RowsPlan? Rows { get; set; }

    public bool RowsLookedUp { get; set; }
}

internal sealed record CloseRequest(bool Statement, string Name) : ClientRequest;

internal sealed record SyncRequest : ClientRequest
{
    public override bool EndsBatch => true;
}

/// <summary>The client sent CopyDone or CopyFail: the COPY FROM STDIN it started is over, and Syncs count again. Never answered.</summary>
internal sealed record CopyEndRequest : ClientRequest;

internal sealed record FunctionCallRequest(bool BinaryResult) : ClientRequest
{
    public override bool EndsBatch => true;
}
