using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>The type-specific data of an "x11" channel open (RFC 4254 §6.3.2): the originator's address and port.</summary>
public sealed record X11ChannelData(string OriginatorAddress, uint OriginatorPort)
{
    public static X11ChannelData Parse(ReadOnlySpan<byte> typeData)
    {
        var reader = new SshReader(typeData);
        var data = new X11ChannelData(reader.ReadUtf8(), reader.ReadUInt32());
        reader.ExpectEnd("the x11 channel data");
        return data;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteUtf8(OriginatorAddress);
        writer.WriteUInt32(OriginatorPort);
    }
}
