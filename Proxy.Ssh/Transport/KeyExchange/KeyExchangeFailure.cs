namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>The errors a peer's key exchange value can cause; all end the connection with KEY_EXCHANGE_FAILED.</summary>
internal static class KeyExchangeFailure
{
    public static SshProtocolException Because(string message, Exception? inner = null) =>
        new(SshDisconnectReason.KeyExchangeFailed, message, inner);

    /// <summary>An ephemeral key serves one exchange: the client's private keys are zeroed once K is computed.</summary>
    public static void UseOnce(ref bool used, string method)
    {
        if (used)
        {
            throw new InvalidOperationException($"{method}: this exchange's shared secret was already computed; start a new exchange");
        }

        used = true;
    }

    public static void RequireLength(ReadOnlySpan<byte> value, int expected, string method, string what)
    {
        if (value.Length != expected)
        {
            throw Because($"{method}: {what} is {value.Length} bytes, expected {expected}");
        }
    }
}
