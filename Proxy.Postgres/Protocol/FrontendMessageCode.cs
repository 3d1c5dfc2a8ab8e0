namespace HoopProxy.Postgres.Protocol;

/// <summary>
/// The type byte of every message a client sends after startup (protocol 3.0).
/// 'p' is shared by PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse: the
/// authentication exchange in progress says which one it is.
/// </summary>
public enum FrontendMessageCode : byte
{
    Bind = (byte)'B',
    Close = (byte)'C',
    CopyData = (byte)'d',
    CopyDone = (byte)'c',
    CopyFail = (byte)'f',
    Describe = (byte)'D',
    Execute = (byte)'E',
    Flush = (byte)'H',
    FunctionCall = (byte)'F',
    Parse = (byte)'P',
    Password = (byte)'p',
    Query = (byte)'Q',
    Sync = (byte)'S',
    Terminate = (byte)'X',
}
