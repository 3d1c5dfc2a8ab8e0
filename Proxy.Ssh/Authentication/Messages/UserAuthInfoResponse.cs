using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Authentication.Messages;

/// <summary>
/// SSH_MSG_USERAUTH_INFO_RESPONSE (RFC 4256 §3.4, message 61): <c>int num-responses</c>, then one <c>string</c> per
/// prompt of the request it answers, in order. The answers are secrets (a password, an access token): they never
/// appear in <see cref="object.ToString"/>.
/// </summary>
public sealed record UserAuthInfoResponse(IReadOnlyList<string> Responses)
{
    public const string Name = "SSH_MSG_USERAUTH_INFO_RESPONSE";

    public static UserAuthInfoResponse Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.UserAuthInfoResponse, Name);
        var count = reader.ReadUInt32();

        // Each response takes at least its four length bytes; a larger count is a lie told to size a list.
        if (count > (uint)reader.Remaining / 4)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"{Name} announces {count} responses in {reader.Remaining} bytes");
        }

        var responses = new string[count];
        for (var i = 0; i < responses.Length; i++)
        {
            responses[i] = reader.ReadUtf8();
        }

        reader.ExpectEnd(Name);
        return new UserAuthInfoResponse(responses);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.UserAuthInfoResponse);
        writer.WriteUInt32((uint)Responses.Count);
        foreach (var response in Responses)
        {
            writer.WriteUtf8(response);
        }
    }

    public bool Equals(UserAuthInfoResponse? other) => other is not null && Responses.SequenceEqual(other.Responses);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var response in Responses)
        {
            hash.Add(response);
        }

        return hash.ToHashCode();
    }

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("Responses = ").Append(Responses.Count).Append(" <redacted>");
        return true;
    }
}
