using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>"x11-req" (RFC 4254 §6.3.1): X11 forwarding, with the authentication protocol and cookie (hex text) and the screen.</summary>
public sealed record X11Request(bool SingleConnection, string AuthenticationProtocol, string AuthenticationCookie, uint ScreenNumber) : IChannelRequestData<X11Request>
{
    public const string Type = "x11-req";

    public static string RequestType => Type;

    public static X11Request Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        var singleConnection = reader.ReadBoolean();
        var authenticationProtocol = reader.ReadUtf8();
        var authenticationCookie = reader.ReadUtf8();
        var screenNumber = reader.ReadUInt32();
        reader.ExpectEnd("the \"x11-req\" request data");
        return new X11Request(singleConnection, authenticationProtocol, authenticationCookie, screenNumber);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteBoolean(SingleConnection);
        writer.WriteUtf8(AuthenticationProtocol);
        writer.WriteUtf8(AuthenticationCookie);
        writer.WriteUInt32(ScreenNumber);
    }
}
