using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace HoopProxy.Ssh.Transport;

/// <summary>
/// The identification strings of RFC 4253 §4.2: <c>SSH-2.0-software comments</c> ending in CR LF (a bare LF is
/// accepted from peers, as OpenSSH does), at most 255 characters. A server may send other lines first (banners);
/// a client may not, but reading is lenient the same way on both sides, bounded in lines and bytes so that a peer
/// that never sends a version cannot hold memory or the connection forever.
/// </summary>
public static class VersionExchange
{
    /// <summary>RFC 4253: the identification line, CR LF included, is at most 255 characters.</summary>
    public const int MaxLineLength = 255;

    /// <summary>Lines a server may send before its version (OpenSSH allows 1024 as well).</summary>
    public const int MaxPrefaceLines = 1024;

    public const string OurVersion = "SSH-2.0-HoopProxy_1.0";

    /// <summary>Writes our identification line (without waiting for the peer's, as RFC 4253 allows).</summary>
    public static void WriteOurs(PipeWriter output) => output.Write(Encoding.ASCII.GetBytes(OurVersion + "\r\n"));

    /// <summary>
    /// Reads lines until the peer's identification line and returns it without CR LF (V_C or V_S of the exchange
    /// hash). Protocol versions other than 2.0 (and 1.99, "compatible with 2.0") are refused.
    /// </summary>
    public static async ValueTask<string> ReadPeersAsync(PipeReader input, CancellationToken cancellationToken)
    {
        for (var lines = 0; lines <= MaxPrefaceLines; lines++)
        {
            var line = await ReadLineAsync(input, cancellationToken);
            if (!line.StartsWith("SSH-", StringComparison.Ordinal))
            {
                continue;
            }

            if (!line.StartsWith("SSH-2.0-", StringComparison.Ordinal) && !line.StartsWith("SSH-1.99-", StringComparison.Ordinal))
            {
                throw new SshProtocolException(SshDisconnectReason.ProtocolVersionNotSupported,
                    $"the peer speaks protocol version {line.Split('-')[1]}; only 2.0 is supported");
            }

            if (line.Any(c => c is < ' ' or > '~'))
            {
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, "the peer's identification string holds characters other than printable US-ASCII");
            }

            return line;
        }

        throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"the peer sent more than {MaxPrefaceLines} lines without an SSH identification string");
    }

    private static async ValueTask<string> ReadLineAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var newline = buffer.PositionOf((byte)'\n');
            if (newline is { } end)
            {
                var line = buffer.Slice(0, end);
                if (line.Length > MaxLineLength)
                {
                    input.AdvanceTo(buffer.Start);
                    throw TooLong();
                }

                var text = Encoding.ASCII.GetString(line.ToArray()).TrimEnd('\r');
                input.AdvanceTo(buffer.GetPosition(1, end));
                return text;
            }

            if (buffer.Length > MaxLineLength)
            {
                input.AdvanceTo(buffer.Start);
                throw TooLong();
            }

            if (result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                throw new SshProtocolException(SshDisconnectReason.ConnectionLost, "the peer closed the connection before sending its SSH identification string");
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static SshProtocolException TooLong() =>
        new(SshDisconnectReason.ProtocolError, $"the peer sent a line longer than {MaxLineLength} bytes before its SSH identification string (is it speaking SSH?)");
}
