namespace HoopProxy.Ssh.Sftp;

/// <summary>
/// The SFTP stream cannot be decoded any further (a malformed or oversized packet, a request id used twice, too much
/// to keep track of). Decoding stops; the bytes still pass, since the observer only describes them.
/// </summary>
internal sealed class SftpDecodingException(string message) : Exception(message);
