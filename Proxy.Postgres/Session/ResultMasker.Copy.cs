using System.Buffers;
using HoopProxy.Postgres.Masking.Wire;

namespace HoopProxy.Postgres.Session;

/// <summary>COPY … TO STDOUT: the data rewritten row by row.</summary>
internal sealed partial class ResultMasker
{
    private sealed class CopyOutMasking(ResultMaskPlan plan)
    {
        public ResultMaskPlan Plan { get; } = plan;
    }

    private ServerMasking OnCopyOutResponse(ClientRequest? head, in ReadOnlySequence<byte> body)
    {
        _ = head;
        _ = body;
        return Withhold("COPY masking is not wired yet");
    }

    private ServerMasking OnCopyData(in ReadOnlySequence<byte> body)
    {
        _ = body;
        DropIfWithholding();
        return default;
    }

    private ServerMasking OnCopyDone()
    {
        DropIfWithholding();
        return default;
    }
}
