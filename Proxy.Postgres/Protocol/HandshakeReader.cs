using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace HoopProxy.Postgres.Protocol;

/// <summary>A whole message copied out of the pipe: used only while logging in, where messages are few and small.</summary>
public readonly record struct OwnedMessage(byte Code, byte[] Body)
{
    public ReadOnlySequence<byte> BodySequence => new(Body);
}

/// <summary>Reads the startup packet and the login exchange from a pipe, enforcing size limits before waiting for bodies.</summary>
public static class HandshakeReader
{
    /// <summary>Reads one untyped startup-phase packet; returns its 32-bit code and the bytes after it.</summary>
    public static async ValueTask<(int Code, byte[] Payload)> ReadStartupPacketAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var examined = buffer.End;
            try
            {
                if (buffer.Length >= 8)
                {
                    var length = ReadInt32(buffer, 0);
                    var code = ReadInt32(buffer, 4);
                    if (length < 8 || length > StartupCode.MaxStartupPacketLength)
                    {
                        throw new PostgresProtocolException(SqlState.ProtocolViolation, "invalid length of startup packet");
                    }

                    if (buffer.Length >= length)
                    {
                        var payload = buffer.Slice(8, length - 8).ToArray();
                        buffer = buffer.Slice(length);
                        // Only this packet was looked at: what follows must still wake the next read.
                        examined = buffer.Start;
                        return (code, payload);
                    }
                }

                if (result.IsCompleted)
                {
                    throw new PostgresProtocolException(SqlState.ProtocolViolation,
                        buffer.IsEmpty ? "the client closed the connection before the startup packet" : "incomplete startup packet");
                }
            }
            finally
            {
                reader.AdvanceTo(buffer.Start, examined);
            }
        }
    }

    private static int ReadInt32(in ReadOnlySequence<byte> buffer, int offset)
    {
        Span<byte> bytes = stackalloc byte[4];
        buffer.Slice(offset, 4).CopyTo(bytes);
        return BinaryPrimitives.ReadInt32BigEndian(bytes);
    }

    /// <summary>Reads one typed message of at most <paramref name="maxLength"/> bytes.</summary>
    public static async ValueTask<OwnedMessage> ReadMessageAsync(PipeReader reader, int maxLength, string peer, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var examined = buffer.End;
            try
            {
                if (MessageHeader.TryRead(buffer, out var header))
                {
                    header.Validate(maxLength, peer);
                    if (buffer.Length >= header.TotalLength)
                    {
                        var body = buffer.Slice(MessageHeader.Size, header.BodyLength).ToArray();
                        buffer = buffer.Slice(header.TotalLength);
                        examined = buffer.Start;
                        return new OwnedMessage(header.Code, body);
                    }
                }

                if (result.IsCompleted)
                {
                    throw new PostgresProtocolException(SqlState.ConnectionFailure,
                        buffer.IsEmpty ? $"the {peer} closed the connection" : $"the {peer} closed the connection in the middle of a message");
                }
            }
            finally
            {
                reader.AdvanceTo(buffer.Start, examined);
            }
        }
    }
}
