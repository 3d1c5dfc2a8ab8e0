using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// The type-specific data of "direct-tcpip" and "forwarded-tcpip" channel opens (RFC 4254 §7.2): for direct-tcpip the
/// host and port to connect to, for forwarded-tcpip the address and port that were connected; then the originator's
/// address and port.
/// </summary>
public sealed record TcpipChannelData(string Host, uint Port, string OriginatorAddress, uint OriginatorPort)
{
    public static TcpipChannelData Parse(ReadOnlySpan<byte> typeData)
    {
        var reader = new SshReader(typeData);
        var data = new TcpipChannelData(reader.ReadUtf8(), reader.ReadUInt32(), reader.ReadUtf8(), reader.ReadUInt32());
        reader.ExpectEnd("the tcpip channel data");
        return data;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteUtf8(Host);
        writer.WriteUInt32(Port);
        writer.WriteUtf8(OriginatorAddress);
        writer.WriteUInt32(OriginatorPort);
    }
}
