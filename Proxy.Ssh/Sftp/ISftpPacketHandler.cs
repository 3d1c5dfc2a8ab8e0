namespace HoopProxy.Ssh.Sftp;

/// <summary>What an <see cref="SftpPacketAssembler"/> hands the packets of its direction to.</summary>
internal interface ISftpPacketHandler
{
    /// <summary>A whole packet from its type byte (the length field left off); the span is valid during the call only.</summary>
    void OnPacket(bool fromClient, ReadOnlySpan<byte> packet);

    /// <summary>
    /// The fixed fields of a WRITE (from the client) or a DATA (from the server), from the type byte to the data's
    /// length field; <paramref name="dataLength"/> bytes of file content follow. Returns the digest the content goes
    /// into, or null when it is not hashed.
    /// </summary>
    SftpContentDigest? OnContentHead(bool fromClient, ReadOnlySpan<byte> head, uint dataLength);
}
