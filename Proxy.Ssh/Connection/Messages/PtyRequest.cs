using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// "pty-req" (RFC 4254 §6.2): a pseudo-terminal with the TERM value, size in characters and pixels, and the encoded
/// terminal modes (§8) kept as sent.
/// </summary>
public sealed record PtyRequest(string Term, uint WidthColumns, uint HeightRows, uint WidthPixels, uint HeightPixels, ReadOnlyMemory<byte> TerminalModes) : IChannelRequestData<PtyRequest>
{
    public const string Type = "pty-req";

    public static string RequestType => Type;

    public static PtyRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        var term = reader.ReadUtf8();
        var widthColumns = reader.ReadUInt32();
        var heightRows = reader.ReadUInt32();
        var widthPixels = reader.ReadUInt32();
        var heightPixels = reader.ReadUInt32();
        var terminalModes = reader.ReadString().ToArray();
        reader.ExpectEnd("the \"pty-req\" request data");
        return new PtyRequest(term, widthColumns, heightRows, widthPixels, heightPixels, terminalModes);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteUtf8(Term);
        writer.WriteUInt32(WidthColumns);
        writer.WriteUInt32(HeightRows);
        writer.WriteUInt32(WidthPixels);
        writer.WriteUInt32(HeightPixels);
        writer.WriteString(TerminalModes.Span);
    }

    public bool Equals(PtyRequest? other) =>
        other is not null
        && Term == other.Term
        && WidthColumns == other.WidthColumns
        && HeightRows == other.HeightRows
        && WidthPixels == other.WidthPixels
        && HeightPixels == other.HeightPixels
        && TerminalModes.Span.SequenceEqual(other.TerminalModes.Span);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Term);
        hash.Add(WidthColumns);
        hash.Add(HeightRows);
        hash.Add(WidthPixels);
        hash.Add(HeightPixels);
        hash.AddBytes(TerminalModes.Span);
        return hash.ToHashCode();
    }
}
