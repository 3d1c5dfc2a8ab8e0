using HoopProxy.Ssh;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Transport;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>Which of a channel's streams a data record carried.</summary>
public enum ChannelStream
{
    /// <summary>SSH_MSG_CHANNEL_DATA: stdin from the client, stdout (or the terminal) from the server.</summary>
    Data,

    /// <summary>SSH_MSG_CHANNEL_EXTENDED_DATA with data type 1.</summary>
    Stderr,

    /// <summary>Extended data of a type RFC 4254 does not define; nothing shows it on a terminal.</summary>
    OtherExtended,
}

/// <summary>
/// One data record of an SSH session, decoded: each holds one CHANNEL_DATA or CHANNEL_EXTENDED_DATA message with the
/// proxy's channel number (docs/recording-format.md, "SSH sessions"). <see cref="Bytes"/> is a slice of the record.
/// </summary>
public readonly record struct SshChannelBytes(uint Channel, ChannelStream Stream, ReadOnlyMemory<byte> Bytes)
{
    /// <summary>False for a payload that is not one of the two messages (the recording was not written by the SSH proxy).</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> payload, out SshChannelBytes decoded)
    {
        try
        {
            switch ((SshMessageNumber)(payload.IsEmpty ? 0 : payload.Span[0]))
            {
                case SshMessageNumber.ChannelData:
                    var data = ChannelData.ParseSlice(payload);
                    decoded = new SshChannelBytes(data.RecipientChannel, ChannelStream.Data, data.Data);
                    return true;
                case SshMessageNumber.ChannelExtendedData:
                    var extended = ChannelExtendedData.ParseSlice(payload);
                    var stream = extended.DataType == ExtendedDataType.Stderr ? ChannelStream.Stderr : ChannelStream.OtherExtended;
                    decoded = new SshChannelBytes(extended.RecipientChannel, stream, extended.Data);
                    return true;
            }
        }
        catch (SshProtocolException)
        {
        }

        decoded = default;
        return false;
    }
}
