using System.Buffers.Binary;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// The encryption and integrity of one direction of the binary packet protocol (RFC 4253 §6) under one set of keys:
/// the sender's instance seals, the receiver's instance opens, both made from the same keys. Instances are stateful
/// (CTR counters, GCM invocation counters) and must see every packet of their direction exactly once, in order, from
/// one thread at a time. No method allocates; keys are wiped on <see cref="Dispose()"/>.
/// </summary>
/// <remarks>
/// <para>A packet on the wire is <c>uint32 packet_length || byte padding_length || payload || padding || mac</c>, the
/// MAC (or AEAD tag) being <see cref="TagLength"/> bytes. The methods take the packet as those bytes, so the caller
/// never copies.</para>
/// <para><b>Receiving</b> (the transport's read loop):</para>
/// <list type="number">
/// <item>Wait until <see cref="BytesNeededForLength"/> bytes are buffered (4, or one cipher block for CTR without -etm,
/// whose length hides inside the first encrypted block).</item>
/// <item><c>len = ReadPacketLength(seq, head)</c> — decrypts only what the length needs; the head is not modified.</item>
/// <item><c>CheckPacketLength(len, max)</c> — anything but <see cref="PacketLengthVerdict.Acceptable"/>: disconnect with
/// ProtocolError without waiting for the body.</item>
/// <item>Wait until <c>4 + len + TagLength</c> bytes are buffered; <c>TryOpen(seq, thoseBytes, plaintext)</c> verifies in
/// constant time and decrypts the <c>4 + len</c> packet bytes into <c>plaintext</c> (which may be the same memory as the
/// input: in place). False means the MAC or tag was wrong (or the bytes were tampered with): disconnect with
/// <see cref="SshDisconnectReason.MacError"/>. It never throws because of what the peer sent.</item>
/// <item><see cref="TryGetPayload"/> checks padding_length and gives the payload.</item>
/// </list>
/// <para><b>Sending</b>: <c>padding = GetPaddingLength(payload.Length)</c>; write <c>uint32 (1 + payload + padding)</c>,
/// the padding_length byte, the payload and <c>padding</c> random bytes into the output buffer, leave
/// <see cref="TagLength"/> bytes after it, and call <c>Seal(seq, packet, tagSpace)</c>, which encrypts in place and
/// writes the tag.</para>
/// <para>Alignment (RFC 4253 §6 and OpenSSH PROTOCOL): the aligned part must be a multiple of <see cref="BlockSize"/>
/// (8 for none and chacha20-poly1305, 16 for AES). For chacha20-poly1305, AES-GCM and the -etm MACs the four length
/// bytes are not encrypted with the payload and are left out of the alignment
/// (<see cref="AlignmentCoversLengthField"/> false); for none and AES-CTR with a plain HMAC they are included.</para>
/// <para>Sequence numbers are the caller's (uint32, wrapping, reset at NEWKEYS under strict kex). Chacha20-poly1305
/// and the HMACs bind them; AES-GCM binds its own invocation counter instead, and none binds nothing.</para>
/// </remarks>
public abstract class PacketProtection : IDisposable
{
    /// <summary>The <c>uint32 packet_length</c> at the start of every packet.</summary>
    public const int LengthFieldSize = 4;

    /// <summary>RFC 4253 §6: "There MUST be at least four bytes of padding."</summary>
    public const int MinimumPaddingLength = 4;

    // packet_length as ReadPacketLength returned it, waiting for TryOpen; -1 when no packet is half read.
    private long _pendingPacketLength = -1;
    private bool _refused;
    private bool _disposed;

    private protected PacketProtection(string name, int blockSize, int tagLength, int bytesNeededForLength, bool alignmentCoversLengthField)
    {
        Name = name;
        BlockSize = blockSize;
        TagLength = tagLength;
        BytesNeededForLength = bytesNeededForLength;
        AlignmentCoversLengthField = alignmentCoversLengthField;
    }

    /// <summary>The protection before the first NEWKEYS: no encryption, no MAC, 8-byte alignment.</summary>
    public static PacketProtection CreateNone() => new NoPacketProtection();

    /// <summary>The cipher's name as negotiated (with the MAC's after a '+' for CTR), for logs.</summary>
    public string Name { get; }

    /// <summary>The alignment unit of the padded packet (see the remarks on the class).</summary>
    public int BlockSize { get; }

    /// <summary>Bytes of MAC or AEAD tag that follow each packet; 0 for none.</summary>
    public int TagLength { get; }

    /// <summary>How many bytes of a packet must be buffered before <see cref="ReadPacketLength"/> can be called.</summary>
    public int BytesNeededForLength { get; }

    /// <summary>Whether the four length bytes count towards the <see cref="BlockSize"/> alignment.</summary>
    public bool AlignmentCoversLengthField { get; }

    /// <summary>
    /// Reads (decrypting if need be) the <c>packet_length</c> of the next packet from its first
    /// <see cref="BytesNeededForLength"/> bytes, leaving them as they are. The value is not yet authenticated: check it
    /// with <see cref="CheckPacketLength"/>, then call <see cref="TryOpen"/> for the same packet.
    /// </summary>
    public uint ReadPacketLength(uint sequenceNumber, ReadOnlySpan<byte> head)
    {
        ThrowIfUnusable();
        if (_pendingPacketLength >= 0)
        {
            throw new InvalidOperationException("ReadPacketLength was called twice for one packet; TryOpen must come between");
        }

        if (head.Length < BytesNeededForLength)
        {
            throw new ArgumentException($"{Name} needs {BytesNeededForLength} bytes to read a packet length, got {head.Length}", nameof(head));
        }

        var packetLength = DecryptPacketLength(sequenceNumber, head[..BytesNeededForLength]);
        _pendingPacketLength = packetLength;
        return packetLength;
    }

    /// <summary>
    /// Judges a declared <c>packet_length</c> (the bytes after the length field, before the MAC) against
    /// <paramref name="maximumPacketLength"/>, the four bytes of padding every packet carries and this algorithm's
    /// alignment. Too large is reported first, so a huge length is always <see cref="PacketLengthVerdict.TooLarge"/>.
    /// </summary>
    public PacketLengthVerdict CheckPacketLength(uint packetLength, uint maximumPacketLength)
    {
        if (packetLength > maximumPacketLength)
        {
            return PacketLengthVerdict.TooLarge;
        }

        if (packetLength < 1 + MinimumPaddingLength || LengthFieldSize + (long)packetLength < BytesNeededForLength)
        {
            return PacketLengthVerdict.TooSmall;
        }

        var aligned = AlignmentCoversLengthField ? LengthFieldSize + (long)packetLength : packetLength;
        return aligned % BlockSize == 0 ? PacketLengthVerdict.Acceptable : PacketLengthVerdict.Misaligned;
    }

    /// <summary>
    /// Verifies and decrypts the packet whose length <see cref="ReadPacketLength"/> just returned.
    /// </summary>
    /// <param name="sequenceNumber">The same sequence number given to <see cref="ReadPacketLength"/>.</param>
    /// <param name="packet">Exactly <c>4 + packet_length + TagLength</c> bytes as received, the head included.</param>
    /// <param name="plaintext">
    /// At least <c>4 + packet_length</c> bytes; receives the plaintext packet (length field included). It may start at
    /// the same address as <paramref name="packet"/> (decryption in place) but must not overlap it otherwise. Its
    /// contents are unspecified when the method returns false.
    /// </param>
    /// <returns>False when the MAC or tag does not match: the caller disconnects with MacError.</returns>
    /// <exception cref="InvalidOperationException">
    /// No length is pending, the pending length was not <see cref="PacketLengthVerdict.Acceptable"/>, or this instance
    /// has already refused a packet (its counters can no longer be trusted).
    /// </exception>
    public bool TryOpen(uint sequenceNumber, ReadOnlySpan<byte> packet, Span<byte> plaintext)
    {
        ThrowIfUnusable();
        if (_pendingPacketLength < 0)
        {
            throw new InvalidOperationException("TryOpen needs ReadPacketLength for the same packet first");
        }

        var packetLength = (uint)_pendingPacketLength;
        _pendingPacketLength = -1;
        if (CheckPacketLength(packetLength, uint.MaxValue) != PacketLengthVerdict.Acceptable)
        {
            throw new InvalidOperationException($"packet_length {packetLength} should have been refused by CheckPacketLength");
        }

        var packetSize = LengthFieldSize + (long)packetLength;
        if (packet.Length != packetSize + TagLength)
        {
            throw new ArgumentException($"expected {packetSize + TagLength} bytes for a packet_length of {packetLength}, got {packet.Length}", nameof(packet));
        }

        if (plaintext.Length < packetSize)
        {
            throw new ArgumentException($"the plaintext buffer holds {plaintext.Length} bytes, the packet needs {packetSize}", nameof(plaintext));
        }

        var size = (int)packetSize;
        ThrowIfPartlyOverlapping(packet, plaintext, nameof(plaintext));
        if (OpenCore(sequenceNumber, packet[..size], packet[size..], plaintext[..size]))
        {
            return true;
        }

        _refused = true;
        return false;
    }

    /// <summary>
    /// Protects one outgoing packet in place: encrypts <paramref name="packet"/> (<c>4 + packet_length</c> bytes,
    /// padded as <see cref="GetPaddingLength"/> says) and writes the MAC or tag into <paramref name="tag"/>
    /// (exactly <see cref="TagLength"/> bytes, normally the bytes right after the packet). The length field is not
    /// checked against the span: this protects the bytes it is given.
    /// </summary>
    public void Seal(uint sequenceNumber, Span<byte> packet, Span<byte> tag)
    {
        ThrowIfUnusable();
        if (packet.Length < LengthFieldSize + 1 + MinimumPaddingLength)
        {
            throw new ArgumentException($"a packet is at least {LengthFieldSize + 1 + MinimumPaddingLength} bytes, got {packet.Length}", nameof(packet));
        }

        var aligned = AlignmentCoversLengthField ? packet.Length : packet.Length - LengthFieldSize;
        if (aligned % BlockSize != 0)
        {
            throw new ArgumentException($"{Name} needs the packet{(AlignmentCoversLengthField ? "" : " after its length field")} to be a multiple of {BlockSize} bytes, got {aligned}", nameof(packet));
        }

        if (tag.Length != TagLength)
        {
            throw new ArgumentException($"{Name} writes a {TagLength}-byte tag, the span holds {tag.Length}", nameof(tag));
        }

        if (packet.Overlaps(tag))
        {
            throw new ArgumentException("the tag must not overlap the packet", nameof(tag));
        }

        SealCore(sequenceNumber, packet, tag);
    }

    /// <summary>
    /// The smallest padding (at least 4 bytes, RFC 4253 §6) that aligns a packet carrying
    /// <paramref name="payloadLength"/> bytes of payload; the caller fills it with random bytes.
    /// </summary>
    public int GetPaddingLength(int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        var unpadded = (AlignmentCoversLengthField ? LengthFieldSize : 0) + 1 + payloadLength;
        var padding = BlockSize - (unpadded % BlockSize);
        return padding < MinimumPaddingLength ? padding + BlockSize : padding;
    }

    /// <summary>
    /// The payload of an opened packet (<c>4 + packet_length</c> plaintext bytes): false when padding_length is under
    /// four or leaves no room (the caller disconnects with ProtocolError, as OpenSSH does).
    /// </summary>
    public static bool TryGetPayload(ReadOnlySpan<byte> plaintextPacket, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (plaintextPacket.Length < LengthFieldSize + 1)
        {
            return false;
        }

        var packetLength = BinaryPrimitives.ReadUInt32BigEndian(plaintextPacket);
        if (packetLength != (uint)(plaintextPacket.Length - LengthFieldSize))
        {
            return false;
        }

        int paddingLength = plaintextPacket[LengthFieldSize];
        if (paddingLength < MinimumPaddingLength || paddingLength > packetLength - 1)
        {
            return false;
        }

        payload = plaintextPacket.Slice(LengthFieldSize + 1, (int)packetLength - 1 - paddingLength);
        return true;
    }

    /// <summary>The length from the head (exactly <see cref="BytesNeededForLength"/> bytes), which stays unmodified.</summary>
    private protected abstract uint DecryptPacketLength(uint sequenceNumber, ReadOnlySpan<byte> head);

    /// <summary>Verify, then decrypt; <paramref name="packet"/> and <paramref name="plaintext"/> have the same length and may be the same memory.</summary>
    private protected abstract bool OpenCore(uint sequenceNumber, ReadOnlySpan<byte> packet, ReadOnlySpan<byte> tag, Span<byte> plaintext);

    private protected abstract void SealCore(uint sequenceNumber, Span<byte> packet, Span<byte> tag);

    /// <summary>Wipes the keys and whatever keystream is buffered.</summary>
    protected abstract void DisposeKeys();

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            DisposeKeys();
        }

        GC.SuppressFinalize(this);
    }

    private static void ThrowIfPartlyOverlapping(ReadOnlySpan<byte> input, ReadOnlySpan<byte> output, string name)
    {
        if (input.Overlaps(output, out var offset) && offset != 0)
        {
            throw new ArgumentException("the output must be the input itself (in place) or not overlap it", name);
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_refused)
        {
            throw new InvalidOperationException($"{Name} has refused a packet; the connection must end");
        }
    }
}
