namespace HoopProxy.Ssh.Transport;

/// <summary>Message numbers (RFC 4250 §4.1, RFC 4253, RFC 4252, RFC 4254, RFC 8308, RFC 5656 for the KEX range).</summary>
public enum SshMessageNumber : byte
{
    // Transport layer generic (RFC 4253)
    Disconnect = 1,
    Ignore = 2,
    Unimplemented = 3,
    Debug = 4,
    ServiceRequest = 5,
    ServiceAccept = 6,
    ExtInfo = 7,

    // Algorithm negotiation
    KexInit = 20,
    NewKeys = 21,

    // Key-exchange-method specific (30-49): the ECDH-style methods use these two.
    KexEcdhInit = 30,
    KexEcdhReply = 31,

    // User authentication (RFC 4252)
    UserAuthRequest = 50,
    UserAuthFailure = 51,
    UserAuthSuccess = 52,
    UserAuthBanner = 53,
    UserAuthPublicKeyOk = 60,

    // Keyboard-interactive (RFC 4256) reuses 60 and 61 of the method-specific range: the method in progress tells
    // SSH_MSG_USERAUTH_INFO_REQUEST from SSH_MSG_USERAUTH_PK_OK.
    UserAuthInfoRequest = 60,
    UserAuthInfoResponse = 61,

    // Connection protocol (RFC 4254)
    GlobalRequest = 80,
    RequestSuccess = 81,
    RequestFailure = 82,
    ChannelOpen = 90,
    ChannelOpenConfirmation = 91,
    ChannelOpenFailure = 92,
    ChannelWindowAdjust = 93,
    ChannelData = 94,
    ChannelExtendedData = 95,
    ChannelEof = 96,
    ChannelClose = 97,
    ChannelRequest = 98,
    ChannelSuccess = 99,
    ChannelFailure = 100,
}
