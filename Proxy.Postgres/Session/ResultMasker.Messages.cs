using System.Buffers;
using System.Text;
using HoopProxy.Postgres.Masking.Wire;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Session.Audit;

namespace HoopProxy.Postgres.Session;

/// <summary>Ends of results, errors, notices, notifications, function results, and withholding.</summary>
internal sealed partial class ResultMasker
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>The rows plan of the result now streaming, whose counts belong to the statement it answers.</summary>
    private ResultMaskPlan? CurrentPlan(ClientRequest? head) => _copy?.Plan ?? (head is ExecuteRequest execute ? execute.Rows?.Plan : _queryRows?.Plan);

    private ServerMasking OnResultEnd(ClientRequest? head)
    {
        CurrentPlan(head)?.TakeCounts(_counts);

        if (head is ExecuteRequest)
        {
            Complete<ExecuteRequest>();
        }
        else
        {
            _queryRows = null;
        }

        ForgetCopy();
        DropIfWithholding();
        return new ServerMasking(false, null, TakeStatementCounts());
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
        if (!replacedByProxy && ErrorResponse.TryParse(body, out var error) && _messages.Mask(error, _counts) is { } masked)
        {
            var bytes = new ArrayBufferWriter<byte>();
            masked.WriteTo(bytes);
            audited = new ReadOnlySequence<byte>(bytes.WrittenMemory[MessageHeader.Size..]);
            if (!_withholding)
            {
                _serverEdits.ReplaceMessage().Write(bytes.WrittenSpan);
            }
        }

        EndStatementWithError(head);
        if (_withholding && !replacedByProxy)
        {
            _serverEdits.ReplaceMessage();
        }

        return new ServerMasking(false, audited, TakeStatementCounts());
    }

    private void EndStatementWithError(ClientRequest? head)
    {
        if (head is QueryRequest)
        {
            _queryRows = null;
        }
        else
        {
            // The server skips the rest of the batch; so do the requests it would have answered.
            while (_requests.TryPeek(out var next) && !next.EndsBatch)
            {
                _requests.TryDequeue(out _);
            }
        }

        ForgetCopy();
    }

    private void OnReadyForQuery()
    {
        while (_requests.TryDequeue(out var request) && !request.EndsBatch)
        {
        }

        _queryRows = null;
        ForgetCopy();
        _withholding = false;
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

    /// <summary>
    /// A FunctionCall's result, of a type the proxy does not know: text is masked as text; a binary result that reads
    /// as UTF-8 text with something to mask in it is sent as NULL.
    /// </summary>
    private ServerMasking OnFunctionResult(ClientRequest? head, in ReadOnlySequence<byte> body)
    {
        if (_withholding || !FunctionCallResponse.TryParse(body, out var response) || response.Result.IsNull)
        {
            DropIfWithholding();
            return default;
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(response.Result.Data);
        }
        catch (DecoderFallbackException)
        {
            return default;
        }

        var counts = new MaskCounts();
        if (_messages.MaskText(text, counts) is not { } masked)
        {
            return default;
        }

        var binary = head is FunctionCallRequest { BinaryResult: true };
        FunctionCallResponse.Write(_serverEdits.ReplaceMessage(), binary ? null : Encoding.UTF8.GetBytes(masked));
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
        if (!_requests.TryPeek(out var head) || head is not ExecuteRequest { RowsLookedUp: false } execute)
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
            _serverEdits.ReplaceMessage();
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
            case BackendMessageCode.ErrorResponse:
                _requests.TryPeek(out var head);
                EndStatementWithError(head);
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
