namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// The cipher and MAC negotiated for one direction: tells the key derivation how many bytes to produce and makes the
/// <see cref="PacketProtection"/> from them at NEWKEYS.
/// </summary>
/// <remarks>
/// Use: after negotiation, <c>TryResolve(cipherName, macName, out var suite)</c> (pass null for the MAC when the cipher
/// <see cref="CipherAlgorithm.IsAuthenticated"/>: it is not negotiated then); derive <see cref="KeyLength"/>,
/// <see cref="IvLength"/> and <see cref="MacKeyLength"/> bytes (RFC 4253 §7.2, letters A–F); at NEWKEYS call
/// <see cref="Create"/> with them and wipe the derived bytes.
/// </remarks>
public sealed record PacketProtectionSuite
{
    private PacketProtectionSuite(CipherAlgorithm cipher, MacAlgorithm? mac)
    {
        Cipher = cipher;
        Mac = mac;
    }

    public CipherAlgorithm Cipher { get; }

    /// <summary>Null for AEAD ciphers, whose tag is the MAC.</summary>
    public MacAlgorithm? Mac { get; }

    public int KeyLength => Cipher.KeyLength;

    public int IvLength => Cipher.IvLength;

    public int MacKeyLength => Mac?.KeyLength ?? 0;

    /// <summary>
    /// The suite for negotiated names; false when the cipher is unknown, or when it needs a MAC and
    /// <paramref name="macName"/> is missing or unknown. For an AEAD cipher the MAC name is ignored.
    /// </summary>
    public static bool TryResolve(string cipherName, string? macName, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PacketProtectionSuite? suite)
    {
        suite = null;
        var cipher = CipherAlgorithm.Find(cipherName);
        if (cipher is null)
        {
            return false;
        }

        if (cipher.IsAuthenticated)
        {
            suite = new PacketProtectionSuite(cipher, null);
            return true;
        }

        var mac = macName is null ? null : MacAlgorithm.Find(macName);
        if (mac is null)
        {
            return false;
        }

        suite = new PacketProtectionSuite(cipher, mac);
        return true;
    }

    /// <summary>
    /// The protection for one direction from its derived keys (exactly <see cref="KeyLength"/>, <see cref="IvLength"/>
    /// and <see cref="MacKeyLength"/> bytes; the spans are copied, the caller wipes them).
    /// </summary>
    public PacketProtection Create(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> macKey)
    {
        if (key.Length != KeyLength || iv.Length != IvLength || macKey.Length != MacKeyLength)
        {
            throw new ArgumentException(
                $"{this} needs a {KeyLength}-byte key, a {IvLength}-byte IV and a {MacKeyLength}-byte MAC key; got {key.Length}, {iv.Length} and {macKey.Length}");
        }

        return Cipher.Name switch
        {
            CipherAlgorithm.ChaCha20Poly1305Name => new ChaCha20Poly1305Protection(key),
            CipherAlgorithm.Aes128GcmName or CipherAlgorithm.Aes256GcmName => new AesGcmProtection(Cipher.Name, key, iv),
            _ => new AesCtrHmacProtection(Cipher, Mac!, key, iv, macKey),
        };
    }

    public override string ToString() => Mac is null ? Cipher.Name : $"{Cipher.Name} with {Mac.Name}";
}
