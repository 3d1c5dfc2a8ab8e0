namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>data_type_code of SSH_MSG_CHANNEL_EXTENDED_DATA (RFC 4254 §5.2, registry in RFC 4250 §4.9.3).</summary>
public enum ExtendedDataType : uint
{
    Stderr = 1,
}
