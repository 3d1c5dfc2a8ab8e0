using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using HoopProxy.Ssh.Transport.Crypto;

namespace HoopProxy.Ssh.Transport;

/// <summary>
/// The binary packet protocol of RFC 4253 §6 over a duplex pipe, one <see cref="PacketProtection"/> per direction
/// (none until the first NEWKEYS). A packet's length is checked against <see cref="MaxPacketLength"/> before its body
/// is waited for; a bad MAC or tag is a <see cref="SshProtocolException"/> with <see cref="SshDisconnectReason.MacError"/>.
/// Reading and writing may run on different threads; each direction on one at a time.
/// </summary>
public sealed class SshPacketStream : IDisposable
{
    /// <summary>OpenSSH's PACKET_MAX_SIZE: 256 KiB. Its channels announce 32 KiB packets; this bounds everything else.</summary>
    public const uint DefaultMaxPacketLength = 256 * 1024;

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private PacketProtection _receive = PacketProtection.CreateNone();
    private PacketProtection _send = PacketProtection.CreateNone();
    private uint _receiveSequence;
    private uint _sendSequence;
    private long _pendingLength = -1;
    private byte[] _packet = new byte[4096];
    private readonly byte[] _head = new byte[64];

    public SshPacketStream(IDuplexPipe pipe, uint maxPacketLength = DefaultMaxPacketLength)
    {
        _input = pipe.Input;
        _output = pipe.Output;
        MaxPacketLength = maxPacketLength;
    }

    public uint MaxPacketLength { get; }

    /// <summary>The receiving direction's sequence number (that of the next packet), for SSH_MSG_UNIMPLEMENTED.</summary>
    public uint ReceiveSequence => _receiveSequence;

    /// <summary>Bytes received and sent since the last key change (for rekeying by volume).</summary>
    public long BytesReceivedSinceKeys { get; private set; }

    public long BytesSentSinceKeys { get; private set; }

    /// <summary>The pipe's reader, for the identification strings that come before any packet.</summary>
    public PipeReader Input => _input;

    public PipeWriter Output => _output;

    /// <summary>The next packet's payload (message number first), decrypted and verified. Throws at the end of the connection.</summary>
    public async ValueTask<byte[]> ReadPayloadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            try
            {
                if (TryTakePacket(buffer, out var payload, out var end))
                {
                    // Only this packet was looked at: the next one may already be buffered behind it.
                    consumed = examined = end;
                    return payload;
                }

                if (result.IsCompleted)
                {
                    throw new SshProtocolException(SshDisconnectReason.ConnectionLost,
                        buffer.IsEmpty ? "the peer closed the connection" : "the peer closed the connection in the middle of a packet");
                }
            }
            finally
            {
                _input.AdvanceTo(consumed, examined);
            }
        }
    }

    /// <summary>
    /// The next packet's payload if it has already arrived whole, without waiting: lets a relay forward a run of
    /// buffered packets and flush once.
    /// </summary>
    public bool TryReadBufferedPayload([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? payload)
    {
        payload = null;
        if (!_input.TryRead(out var result))
        {
            return false;
        }

        var buffer = result.Buffer;
        var consumed = buffer.Start;
        try
        {
            if (TryTakePacket(buffer, out var taken, out var end))
            {
                consumed = end;
                payload = taken;
                return true;
            }

            return false;
        }
        finally
        {
            // Only what was taken counts as examined, so the next ReadPayloadAsync looks at the rest before waiting.
            _input.AdvanceTo(consumed, consumed);
        }
    }

    private bool TryTakePacket(in ReadOnlySequence<byte> buffer, out byte[] payload, out SequencePosition end)
    {
        payload = [];
        end = buffer.Start;
        if (_pendingLength < 0)
        {
            if (buffer.Length < _receive.BytesNeededForLength)
            {
                return false;
            }

            var head = _head.AsSpan(0, _receive.BytesNeededForLength);
            buffer.Slice(0, head.Length).CopyTo(head);
            var length = _receive.ReadPacketLength(_receiveSequence, head);
            var verdict = _receive.CheckPacketLength(length, MaxPacketLength);
            if (verdict != PacketLengthVerdict.Acceptable)
            {
                throw new SshProtocolException(SshDisconnectReason.ProtocolError,
                    $"the peer sent a packet length of {length} bytes ({verdict}; the limit is {MaxPacketLength})");
            }

            _pendingLength = length;
        }

        var total = PacketProtection.LengthFieldSize + (int)_pendingLength + _receive.TagLength;
        if (buffer.Length < total)
        {
            return false;
        }

        if (_packet.Length < total)
        {
            _packet = new byte[Math.Max(total, _packet.Length * 2)];
        }

        var packet = _packet.AsSpan(0, total);
        buffer.Slice(0, total).CopyTo(packet);
        var plaintext = packet[..(PacketProtection.LengthFieldSize + (int)_pendingLength)];
        if (!_receive.TryOpen(_receiveSequence, packet, plaintext))
        {
            throw new SshProtocolException(SshDisconnectReason.MacError, "a packet failed its integrity check (MAC or tag)");
        }

        if (!PacketProtection.TryGetPayload(plaintext, out var body))
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "a packet's padding length does not fit its length");
        }

        // Not zeroed first: every byte is overwritten by the copy.
        payload = GC.AllocateUninitializedArray<byte>(body.Length);
        body.CopyTo(payload);
        if (payload.Length == 0)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "a packet without a message number");
        }

        _pendingLength = -1;
        _receiveSequence++;
        BytesReceivedSinceKeys += total;
        end = buffer.GetPosition(total);
        return true;
    }

    /// <summary>Frames, pads, protects and buffers one payload; <see cref="FlushAsync"/> sends.</summary>
    public void WritePayload(ReadOnlySpan<byte> payload)
    {
        var padding = _send.GetPaddingLength(payload.Length);
        var packetLength = 1 + payload.Length + padding;
        var total = PacketProtection.LengthFieldSize + packetLength;
        var span = _output.GetSpan(total + _send.TagLength);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)packetLength);
        span[4] = (byte)padding;
        payload.CopyTo(span[5..]);
        RandomNumberGenerator.Fill(span.Slice(5 + payload.Length, padding));
        _send.Seal(_sendSequence, span[..total], span.Slice(total, _send.TagLength));
        _output.Advance(total + _send.TagLength);
        _sendSequence++;
        BytesSentSinceKeys += total + _send.TagLength;
    }

    public ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _output.FlushAsync(cancellationToken);

    /// <summary>After sending NEWKEYS: what follows is protected with the new keys. Strict kex restarts the sequence at 0.</summary>
    public void UseSendProtection(PacketProtection protection, bool resetSequence)
    {
        _send.Dispose();
        _send = protection;
        BytesSentSinceKeys = 0;
        if (resetSequence)
        {
            _sendSequence = 0;
        }
    }

    /// <summary>After receiving NEWKEYS: what follows is opened with the new keys. Strict kex restarts the sequence at 0.</summary>
    public void UseReceiveProtection(PacketProtection protection, bool resetSequence)
    {
        _receive.Dispose();
        _receive = protection;
        BytesReceivedSinceKeys = 0;
        if (resetSequence)
        {
            _receiveSequence = 0;
        }
    }

    public string ReceiveAlgorithm => _receive.Name;

    public string SendAlgorithm => _send.Name;

    public void Dispose()
    {
        _receive.Dispose();
        _send.Dispose();
    }
}
