using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Transport;

/// <summary>
/// SSH_MSG_KEXINIT (RFC 4253 §7.1): each side's algorithms in preference order. The raw payload (<see cref="Payload"/>)
/// is part of the exchange hash, so a parsed message keeps the bytes it was read from.
/// </summary>
public sealed record KexInit
{
    public const int CookieLength = 16;

    public required byte[] Cookie { get; init; }
    public required IReadOnlyList<string> KeyExchange { get; init; }
    public required IReadOnlyList<string> HostKey { get; init; }
    public required IReadOnlyList<string> CipherClientToServer { get; init; }
    public required IReadOnlyList<string> CipherServerToClient { get; init; }
    public required IReadOnlyList<string> MacClientToServer { get; init; }
    public required IReadOnlyList<string> MacServerToClient { get; init; }
    public required IReadOnlyList<string> CompressionClientToServer { get; init; }
    public required IReadOnlyList<string> CompressionServerToClient { get; init; }
    public IReadOnlyList<string> LanguagesClientToServer { get; init; } = [];
    public IReadOnlyList<string> LanguagesServerToClient { get; init; } = [];
    public bool FirstKexPacketFollows { get; init; }

    /// <summary>The message as sent or received, message number included: I_C or I_S of the exchange hash.</summary>
    public byte[] Payload { get; init; } = [];

    public static KexInit Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new SshReader(payload);
        if (reader.ReadByte() != (byte)SshMessageNumber.KexInit)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "expected SSH_MSG_KEXINIT");
        }

        var message = new KexInit
        {
            Cookie = reader.ReadRawBytes(CookieLength),
            KeyExchange = reader.ReadNameList(),
            HostKey = reader.ReadNameList(),
            CipherClientToServer = reader.ReadNameList(),
            CipherServerToClient = reader.ReadNameList(),
            MacClientToServer = reader.ReadNameList(),
            MacServerToClient = reader.ReadNameList(),
            CompressionClientToServer = reader.ReadNameList(),
            CompressionServerToClient = reader.ReadNameList(),
            LanguagesClientToServer = reader.ReadNameList(),
            LanguagesServerToClient = reader.ReadNameList(),
            FirstKexPacketFollows = reader.ReadBoolean(),
            Payload = payload.ToArray(),
        };
        reader.ReadUInt32(); // reserved for future extension
        reader.ExpectEnd("SSH_MSG_KEXINIT");
        return message;
    }

    /// <summary>This message with <see cref="Payload"/> set to its encoding.</summary>
    public KexInit Encoded()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        var writer = new SshWriter(buffer);
        writer.WriteByte((byte)SshMessageNumber.KexInit);
        writer.WriteRaw(Cookie);
        foreach (var list in new[]
                 {
                     KeyExchange, HostKey, CipherClientToServer, CipherServerToClient, MacClientToServer, MacServerToClient,
                     CompressionClientToServer, CompressionServerToClient, LanguagesClientToServer, LanguagesServerToClient,
                 })
        {
            writer.WriteNameList(list);
        }

        writer.WriteBoolean(FirstKexPacketFollows);
        writer.WriteUInt32(0);
        return this with { Payload = buffer.WrittenSpan.ToArray() };
    }
}
