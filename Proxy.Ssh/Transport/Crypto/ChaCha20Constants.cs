namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>What every ChaCha20 block shares: "expand 32-byte k" in state words 0–3, and the round count.</summary>
internal static class ChaCha20Constants
{
    public const uint Word0 = 0x61707865;
    public const uint Word1 = 0x3320646e;
    public const uint Word2 = 0x79622d32;
    public const uint Word3 = 0x6b206574;

    /// <summary>20 rounds, a column round and a diagonal round per iteration.</summary>
    public const int DoubleRounds = 10;
}
