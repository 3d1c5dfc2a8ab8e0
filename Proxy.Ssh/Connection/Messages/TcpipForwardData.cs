using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// The data of the "tcpip-forward" and "cancel-tcpip-forward" global requests (RFC 4254 §7.1): the address to bind
/// ("" all, "0.0.0.0", "localhost", …) and the port (0: any).
/// </summary>
public sealed record TcpipForwardData(string BindAddress, uint BindPort)
{
    public static TcpipForwardData Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        var data = new TcpipForwardData(reader.ReadUtf8(), reader.ReadUInt32());
        reader.ExpectEnd("the tcpip-forward request data");
        return data;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteUtf8(BindAddress);
        writer.WriteUInt32(BindPort);
    }

    internal byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
