namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// What <see cref="PacketProtection.CheckPacketLength"/> thinks of a declared <c>packet_length</c>. Anything but
/// <see cref="Acceptable"/> ends the connection with <see cref="SshDisconnectReason.ProtocolError"/>, before the body
/// is waited for, so a peer cannot make us buffer more than the maximum.
/// </summary>
public enum PacketLengthVerdict
{
    Acceptable,

    /// <summary>More than the caller's maximum (for CTR without -etm this is also what a forged length looks like).</summary>
    TooLarge,

    /// <summary>Too short to hold the padding_length byte and the four bytes of padding RFC 4253 §6 requires.</summary>
    TooSmall,

    /// <summary>Not a whole number of cipher blocks (RFC 4253 §6), counted the way this algorithm counts them.</summary>
    Misaligned,
}
