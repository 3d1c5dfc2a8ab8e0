using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Authentication.Messages;

/// <summary>One prompt of SSH_MSG_USERAUTH_INFO_REQUEST: the text shown, and whether what is typed may be echoed.</summary>
public readonly record struct KeyboardPrompt(string Text, bool Echo);

/// <summary>
/// SSH_MSG_USERAUTH_INFO_REQUEST (RFC 4256 §3.2, message 60 during "keyboard-interactive"): <c>string name, string
/// instruction, string language tag, int num-prompts</c>, then per prompt <c>string prompt, boolean echo</c>. The client
/// shows the name and instruction, asks each prompt and answers with SSH_MSG_USERAUTH_INFO_RESPONSE.
/// </summary>
public sealed record UserAuthInfoRequest(string Title, string Instruction, IReadOnlyList<KeyboardPrompt> Prompts, string Language = "")
{
    public const string Name = "SSH_MSG_USERAUTH_INFO_REQUEST";

    public static UserAuthInfoRequest Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.UserAuthInfoRequest, Name);
        var title = reader.ReadUtf8();
        var instruction = reader.ReadUtf8();
        var language = reader.ReadUtf8();
        var count = reader.ReadUInt32();

        // Each prompt takes at least five bytes (an empty string and the flag): a larger count cannot be true, and
        // checking first keeps a forged count from sizing a list.
        if (count > (uint)reader.Remaining / 5)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"{Name} announces {count} prompts in {reader.Remaining} bytes");
        }

        var prompts = new KeyboardPrompt[count];
        for (var i = 0; i < prompts.Length; i++)
        {
            prompts[i] = new KeyboardPrompt(reader.ReadUtf8(), reader.ReadBoolean());
        }

        reader.ExpectEnd(Name);
        return new UserAuthInfoRequest(title, instruction, prompts, language);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.UserAuthInfoRequest);
        writer.WriteUtf8(Title);
        writer.WriteUtf8(Instruction);
        writer.WriteUtf8(Language);
        writer.WriteUInt32((uint)Prompts.Count);
        foreach (var prompt in Prompts)
        {
            writer.WriteUtf8(prompt.Text);
            writer.WriteBoolean(prompt.Echo);
        }
    }

    public bool Equals(UserAuthInfoRequest? other) =>
        other is not null && Title == other.Title && Instruction == other.Instruction && Language == other.Language && Prompts.SequenceEqual(other.Prompts);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Title);
        hash.Add(Instruction);
        hash.Add(Language);
        foreach (var prompt in Prompts)
        {
            hash.Add(prompt);
        }

        return hash.ToHashCode();
    }
}
