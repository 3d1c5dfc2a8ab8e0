using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Authentication.Messages;

/// <summary>
/// SSH_MSG_USERAUTH_FAILURE (RFC 4252 §5.1): the methods that can continue, and whether the request that failed was a
/// partial success (one step of several required).
/// </summary>
public sealed record UserAuthFailure(IReadOnlyList<string> MethodsThatCanContinue, bool PartialSuccess = false)
{
    public const string Name = "SSH_MSG_USERAUTH_FAILURE";

    public static UserAuthFailure Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.UserAuthFailure, Name);
        var message = new UserAuthFailure(reader.ReadNameList(), reader.ReadBoolean());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.UserAuthFailure);
        writer.WriteNameList(MethodsThatCanContinue);
        writer.WriteBoolean(PartialSuccess);
    }

    public bool Equals(UserAuthFailure? other) =>
        other is not null && PartialSuccess == other.PartialSuccess && MethodsThatCanContinue.SequenceEqual(other.MethodsThatCanContinue);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(PartialSuccess);
        foreach (var method in MethodsThatCanContinue)
        {
            hash.Add(method);
        }

        return hash.ToHashCode();
    }
}
