using System.Buffers;
using System.Buffers.Binary;
using HoopProxy.Postgres.Masking.Copy;
using HoopProxy.Postgres.Masking.Wire;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// COPY … TO STDOUT: the statement says how the data is laid out (text, CSV, binary and their options) and where it
/// comes from; with column rules the catalog describes that source so columns are known by name and type. The
/// CopyData stream is then rewritten row by row.
/// </summary>
internal sealed partial class ResultMasker
{
    private sealed class CopyOutMasking(ResultMaskPlan plan, CopyOutRewriter rewriter) : IDisposable
    {
        public ResultMaskPlan Plan { get; } = plan;

        public CopyOutRewriter Rewriter { get; } = rewriter;

        public void Dispose() => Rewriter.Dispose();
    }

    /// <summary>A COPY whose columns the catalog is describing while its CopyOutResponse is held.</summary>
    private (CopyStatement Statement, Task<IReadOnlyList<FieldDescription>> Describing)? _describingCopy;

    private readonly ArrayBufferWriter<byte> _copyOutput = new(4096);

    /// <summary>The COPY whose CopyOutResponse is held (for the catalog), so seeing it again does not take the next statement.</summary>
    private CopyStatement? _heldCopy;

    private ServerMasking OnCopyOutResponse(ClientRequest? head, in ReadOnlySequence<byte> body)
    {
        if (_withholding)
        {
            DropIfWithholding();
            return default;
        }

        if (!CopyOutResponse.TryParse(body, out var response))
        {
            throw new PostgresProtocolException(SqlState.ProtocolViolation, "the server sent a malformed CopyOutResponse");
        }

        CopyStatement? statement;
        if (_heldCopy is not null)
        {
            // Seen again after a hold: the statement was already taken from the request.
            statement = _heldCopy;
            _heldCopy = null;
        }
        else
        {
            statement = head switch
            {
                QueryRequest query when query.CopiesStarted < query.CopyStatements.Count => query.CopyStatements[query.CopiesStarted++],
                ExecuteRequest execute when _portals.TryGetValue(execute.PortalName, out var portal)
                    && _statements.TryGetValue(portal.StatementName, out var prepared) => prepared.CopyStatement,
                _ => null,
            };
        }

        if (statement is not { Options: { } options })
        {
            return Withhold($"masking cannot read the data of this COPY: {statement?.Error ?? "the proxy did not see the statement that started it"}",
                SqlState.FeatureNotSupported);
        }

        var binary = response.OverallFormat == 1;
        IReadOnlyList<FieldDescription> fields;
        if (_rules.HasColumnRules)
        {
            if (statement.NamesUnqualifiedRelations && _searchPathChanged)
            {
                return Withhold("masking cannot tell which table this COPY reads: the session changed its search_path and the COPY names a table "
                    + "without its schema; qualify the name (schema.table)", SqlState.FeatureNotSupported);
            }

            if (!TryDescribeCopy(statement, out var described, out var refusal))
            {
                _heldCopy = statement;
                return new ServerMasking(Held: true, null, null);
            }

            if (refusal is not null)
            {
                return Withhold(refusal);
            }

            fields = described!;
            if (fields.Count != response.ColumnFormats.Count)
            {
                return Withhold($"masking cannot read the data of this COPY: the server sends {response.ColumnFormats.Count} columns, the catalog described {fields.Count}");
            }
        }
        else
        {
            // Detectors only: no catalog. Text data is scanned as text; binary data of unknown types becomes NULL where something is found.
            fields = Enumerable.Range(0, response.ColumnFormats.Count)
                .Select(i => new FieldDescription($"column {i + 1}", 0, 0, binary ? 0u : 25u, -1, -1, binary ? (short)1 : (short)0)).ToArray();
        }

        if (!TryPlan(fields, fields.Select(_ => binary).ToArray(), out var rows, out var planRefusal))
        {
            _heldCopy = statement;
            return new ServerMasking(Held: true, null, null);
        }

        if (planRefusal is not null)
        {
            return Withhold(planRefusal);
        }

        if (rows is { MasksAnything: true })
        {
            _copy = new CopyOutMasking(rows.Plan, new CopyOutRewriter(options, rows.Plan));
        }

        return default;
    }

    /// <summary>Starts or finishes the catalog's description of the COPY's source. False: hold the message until it is done.</summary>
    private bool TryDescribeCopy(CopyStatement statement, out IReadOnlyList<FieldDescription>? fields, out string? refusal)
    {
        fields = null;
        refusal = null;
        if (_catalog is null)
        {
            refusal = "masking cannot name the columns of this COPY: no column catalog for this target";
            return true;
        }

        if (_describingCopy is not { } describing)
        {
            var query = statement.Source switch
            {
                CopyQuerySource source => source.Text,
                CopyRelationSource relation => $"SELECT {(relation.Columns is { Count: > 0 } columns ? string.Join(", ", columns.Select(Quote)) : "*")} FROM "
                    + (relation.Schema is null ? Quote(relation.Name) : $"{Quote(relation.Schema)}.{Quote(relation.Name)}"),
                _ => null,
            };
            if (query is null)
            {
                refusal = "masking cannot name the columns of this COPY: its source is unknown";
                return true;
            }

            var task = _catalog.DescribeAsync(query, CancellationToken.None);
            _describingCopy = (statement, task);
            _serverEdits.Hold(task);
            return false;
        }

        _describingCopy = null;
        if (describing.Describing.Exception is { } failure)
        {
            refusal = $"masking cannot name the columns of this COPY: {failure.InnerException?.Message ?? failure.Message}";
            return true;
        }

        fields = describing.Describing.Result;
        return true;
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private ServerMasking OnCopyData(in ReadOnlySequence<byte> body)
    {
        if (_withholding || _copy is null)
        {
            DropIfWithholding();
            return default;
        }

        _copyOutput.ResetWrittenCount();
        try
        {
            _copy.Rewriter.Rewrite(body, _copyOutput);
        }
        catch (CopyFormatException e)
        {
            EndCopy();
            return Withhold($"masking cannot read the data of this COPY: {e.Message}");
        }

        // Rows are sent as they are completed; a message that only began a row sends nothing yet.
        var output = _serverEdits.ReplaceMessage();
        if (_copyOutput.WrittenCount > 0)
        {
            var span = output.GetSpan(MessageHeader.Size + _copyOutput.WrittenCount);
            span[0] = (byte)BackendMessageCode.CopyData;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], 4 + _copyOutput.WrittenCount);
            _copyOutput.WrittenSpan.CopyTo(span[MessageHeader.Size..]);
            output.Advance(MessageHeader.Size + _copyOutput.WrittenCount);
        }

        return default;
    }

    private ServerMasking OnCopyDone()
    {
        if (_withholding || _copy is null)
        {
            DropIfWithholding();
            return default;
        }

        try
        {
            _copy.Rewriter.Complete();
        }
        catch (CopyFormatException e)
        {
            EndCopy();
            return Withhold($"masking cannot read the data of this COPY: {e.Message}");
        }

        return default;
    }

    private void EndCopy()
    {
        _copy?.Plan.TakeCounts(_counts);
        ForgetCopy();
    }

    private void ForgetCopy()
    {
        _copy?.Dispose();
        _copy = null;
    }
}
