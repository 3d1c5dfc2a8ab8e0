using System.Buffers;
using System.Text;
using System.Text.Unicode;
using HoopProxy.Postgres.Masking.Wire;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Session.Audit;

namespace HoopProxy.Postgres.Session;

/// <summary>Ends of results, errors, notices, notifications, function results, and withholding.</summary>
internal sealed partial class ResultMasker
{
    /// <summary>The rows plan of the result now streaming, whose counts belong to the statement it answers.</summary>
    private ResultMaskPlan? CurrentPlan(ClientRequest? head) => _copy?.Plan ?? (head is ExecuteRequest execute ? execute.Rows?.Plan : _queryRows?.Plan);

    private ServerMasking OnResultEnd(ClientRequest? head, in ReadOnlySequence<byte> body)
    {
        CurrentPlan(head)?.TakeCounts(_counts);
        if (head is ExecuteRequest)
        {
            Complete<ExecuteRequest>();
        }
        else if (head is QueryRequest)
        {
            _queryRows = null;
        }
        else
        {
            throw ClientRequestQueue.OutOfStep("Execute or Query", head);
        }

        if (CommandComplete.TryParse(body, out var complete))
        {
            ForgetWhatTheStatementChanged(complete.Tag);
        }

        ForgetCopy();
        DropIfWithholding();
        return new ServerMasking(false, null, TakeStatementCounts());
    }

    /// <summary>
    /// SQL that creates or removes cursors and prepared statements changes what a portal or statement name means:
    /// a DECLAREd cursor can be run with Execute, and after DEALLOCATE a statement PREPAREd under a protocol
    /// statement's name runs in its place. Their descriptions are forgotten, so rows under those names need a fresh one.
    /// </summary>
    private void ForgetWhatTheStatementChanged(string tag)
    {
        if (tag.StartsWith("DECLARE", StringComparison.Ordinal) || tag.StartsWith("CLOSE", StringComparison.Ordinal))
        {
            _portals.Clear();
        }
        else if (tag.StartsWith("DEALLOCATE", StringComparison.Ordinal) || tag.StartsWith("DISCARD", StringComparison.Ordinal))
        {
            foreach (var statement in _statements.Values)
            {
                statement.Fields = null;
            }

            _portals.Clear();
        }
    }

    private MaskCounts? TakeStatementCounts()
    {
        if (_counts.IsEmpty)
        {
            return null;
        }

        var counts = _counts;
        _counts = new MaskCounts();
        return counts;
    }

    /// <summary>
    /// An error ends the statement (and, in the extended protocol, everything up to Sync). Its text fields are
    /// masked, also when the client will not get it, because the audit records its message.
    /// </summary>
    private ServerMasking OnError(ClientRequest? head, in ReadOnlySequence<byte> body, bool replacedByProxy)
    {
        CurrentPlan(head)?.TakeCounts(_counts);
        ReadOnlySequence<byte>? audited = null;
        var parsed = ErrorResponse.TryParse(body, out var error);
        // A session-ending error still reaches the client (it explains the close), masked like any other.
        var withheld = _withholding && !(parsed && error.Severity is "FATAL" or "PANIC");
        if (!replacedByProxy && parsed && _messages.Mask(error, _counts) is { } masked)
        {
            var bytes = new ArrayBufferWriter<byte>();
            masked.WriteTo(bytes);
            audited = new ReadOnlySequence<byte>(bytes.WrittenMemory[MessageHeader.Size..]);
            if (!withheld)
            {
                _serverEdits.ReplaceMessage().Write(bytes.WrittenSpan);
            }
        }

        EndStatementWithError(head);
        if (withheld)
        {
            // Also the policy's replacement: the client already has the one error of this batch, the proxy's.
            _serverEdits.DropMessage();
        }

        return new ServerMasking(false, audited, TakeStatementCounts());
    }

    private void EndStatementWithError(ClientRequest? head)
    {
        if (head is QueryRequest)
        {
            _queryRows = null;
        }

        _requests.OnError();
        ForgetCopy();
    }

    private void OnReadyForQuery(in ReadOnlySequence<byte> body)
    {
        _requests.OnReadyForQuery();
        _queryRows = null;
        ForgetCopy();
        _withholding = false;
        if (ReadyForQuery.TryParse(body, out var ready) && ready.Status == TransactionStatus.Idle)
        {
            // Outside a transaction no portal survives: a later Execute of the same name is another portal.
            _portals.Clear();
        }
    }

    private void MaskNotice(in ReadOnlySequence<byte> body)
    {
        var counts = new MaskCounts();
        if (ErrorResponse.TryParse(body, out var notice) && _messages.Mask(notice, counts) is { } masked)
        {
            masked.WriteTo(_serverEdits.ReplaceMessage(), BackendMessageCode.NoticeResponse);
            _serverEdits.Add(new MaskedEvent { Message = "notice", Counts = counts });
        }
    }

    private void MaskNotification(in ReadOnlySequence<byte> body)
    {
        var counts = new MaskCounts();
        if (NotificationResponse.TryParse(body, out var notification) && _messages.MaskText(notification.PayloadString(), counts) is { } masked)
        {
            NotificationResponse.Write(_serverEdits.ReplaceMessage(), notification.ProcessId, notification.Channel, masked);
            _serverEdits.Add(new MaskedEvent { Message = "notification", Counts = counts });
        }
    }

    /// <summary>A setting's value can carry data too (<c>set_config('application_name', ssn, false)</c>).</summary>
    private void MaskParameterStatus(in ReadOnlySequence<byte> body)
    {
        var counts = new MaskCounts();
        if (ParameterStatus.TryParse(body, out var parameter) && _messages.MaskText(parameter.Value, counts) is { } masked)
        {
            new ParameterStatus(parameter.Name, masked).WriteTo(_serverEdits.ReplaceMessage());
            _serverEdits.Add(new MaskedEvent { Message = "parameter-status", Counts = counts });
        }
    }

    /// <summary>
    /// A FunctionCall's result, of a type the proxy does not know: a text result is masked as text; a binary one (or
    /// text that is not UTF-8) in which anything is found is sent as NULL.
    /// </summary>
    private ServerMasking OnFunctionResult(ClientRequest? head, in ReadOnlySequence<byte> body)
    {
        if (_withholding || !FunctionCallResponse.TryParse(body, out var response) || response.Result.IsNull)
        {
            DropIfWithholding();
            return default;
        }

        var value = response.Result.Data.ToArray();
        var counts = new MaskCounts();
        if (head is not FunctionCallRequest { BinaryResult: true } && Utf8.IsValid(value))
        {
            if (_messages.MaskText(Encoding.UTF8.GetString(value), counts) is { } masked)
            {
                FunctionCallResponse.Write(_serverEdits.ReplaceMessage(), Encoding.UTF8.GetBytes(masked));
                return new ServerMasking(false, null, counts);
            }

            return default;
        }

        if (!_messages.FindsAnything(value, counts))
        {
            return default;
        }

        FunctionCallResponse.Write(_serverEdits.ReplaceMessage(), null);
        return new ServerMasking(false, null, counts);
    }

    /// <summary>
    /// Ends the statement for the client with an error instead of the message being observed; everything the server
    /// sends for the batch after it is withheld until ReadyForQuery.
    /// </summary>
    private ServerMasking Withhold(string reason, string sqlState = SqlState.SystemError)
    {
        _counts.Withheld = reason;
        ErrorResponse.Create("ERROR", sqlState, reason, hint: "the proxy withheld this result because it could not mask it").WriteTo(_serverEdits.ReplaceMessage());
        _withholding = true;
        return default;
    }

    /// <summary>
    /// The first row of an Execute is wanted before its plan is known; when it is too large to hold, the plan is looked
    /// up without waiting for the catalog: rows nothing can be masked in stream on.
    /// </summary>
    private bool RowsOfExecuteNeedNoMasking()
    {
        if (_requests.Head is not ExecuteRequest { RowsLookedUp: false } execute)
        {
            return false;
        }

        if (!TryPortalRows(execute.PortalName, out var rows, out var refusal, mayWait: false) || refusal is not null || rows!.MasksAnything)
        {
            return false;
        }

        execute.Rows = rows;
        execute.RowsLookedUp = true;
        return true;
    }

    private void DropIfWithholding()
    {
        if (_withholding)
        {
            _serverEdits.DropMessage();
        }
    }

    /// <summary>
    /// A message too large to hold whole. Rows and COPY data that may need masking are withheld with an error rather
    /// than passed unmasked; an error is replaced by the proxy's own; a notice or notification is dropped.
    /// </summary>
    public UninspectableAction OnServerMessageUninspectable(byte code, int bodyLength)
    {
        var tooLarge = $"a {bodyLength}-byte message is larger than the proxy can mask";
        switch ((BackendMessageCode)code)
        {
            case BackendMessageCode.DataRow when !_withholding && RowsOfExecuteNeedNoMasking():
                return UninspectableAction.Forward;
            case BackendMessageCode.DataRow or BackendMessageCode.CopyData or BackendMessageCode.FunctionCallResponse:
                if (!_withholding)
                {
                    Withhold($"{tooLarge} (a row of this result needs masking)", SqlState.ProgramLimitExceeded);
                }
                else
                {
                    _serverEdits.ReplaceMessage();
                }

                return UninspectableAction.Discard;
            case BackendMessageCode.ErrorResponse when _withholding:
                EndStatementWithError(_requests.Head);
                _serverEdits.ReplaceMessage();
                return UninspectableAction.Discard;
            case BackendMessageCode.ErrorResponse:
                EndStatementWithError(_requests.Head);
                ErrorResponse.Create("ERROR", SqlState.ProgramLimitExceeded, $"the server's error was withheld: {tooLarge}").WriteTo(_serverEdits.ReplaceMessage());
                return UninspectableAction.Discard;
            case BackendMessageCode.NoticeResponse or BackendMessageCode.NotificationResponse:
                _serverEdits.ReplaceMessage();
                return UninspectableAction.Discard;
            default:
                // Descriptions and other protocol messages are never this large from a sane server.
                return UninspectableAction.Fail;
        }
    }
}
