namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>Reason codes of SSH_MSG_CHANNEL_OPEN_FAILURE (RFC 4254 §5.1); other values are kept as received.</summary>
public enum ChannelOpenFailureReason : uint
{
    AdministrativelyProhibited = 1,
    ConnectFailed = 2,
    UnknownChannelType = 3,
    ResourceShortage = 4,
}
