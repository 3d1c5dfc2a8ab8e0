namespace HoopProxy.Ssh.Transport;

/// <summary>What one key exchange agreed on (RFC 4253 §7.1), per direction, and the OpenSSH extensions both sides signalled.</summary>
/// <param name="MacClientToServer">Null when the cipher is an AEAD (chacha20-poly1305, AES-GCM): its tag is the MAC.</param>
/// <param name="StrictKeyExchange">Both sides signalled kex-strict (the Terrapin countermeasure): sequence numbers reset at NEWKEYS, no stray messages during the first exchange.</param>
/// <param name="ClientWantsExtInfo">The client listed ext-info-c: the server sends SSH_MSG_EXT_INFO (server-sig-algs) after NEWKEYS.</param>
public sealed record NegotiatedAlgorithms(
    string KeyExchange,
    string HostKey,
    string CipherClientToServer,
    string CipherServerToClient,
    string? MacClientToServer,
    string? MacServerToClient,
    string CompressionClientToServer,
    string CompressionServerToClient,
    bool StrictKeyExchange,
    bool ClientWantsExtInfo,
    bool ServerWantsExtInfo);
