using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>"window-change" (RFC 4254 §6.7): the terminal's new size in characters and pixels; sent without want-reply.</summary>
public readonly record struct WindowChangeRequest(uint WidthColumns, uint HeightRows, uint WidthPixels, uint HeightPixels) : IChannelRequestData<WindowChangeRequest>
{
    public const string Type = "window-change";

    public static string RequestType => Type;

    public static WindowChangeRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        var widthColumns = reader.ReadUInt32();
        var heightRows = reader.ReadUInt32();
        var widthPixels = reader.ReadUInt32();
        var heightPixels = reader.ReadUInt32();
        reader.ExpectEnd("the \"window-change\" request data");
        return new WindowChangeRequest(widthColumns, heightRows, widthPixels, heightPixels);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteUInt32(WidthColumns);
        writer.WriteUInt32(HeightRows);
        writer.WriteUInt32(WidthPixels);
        writer.WriteUInt32(HeightPixels);
    }
}
