using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Authentication.Messages;

/// <summary>
/// SSH_MSG_USERAUTH_REQUEST (RFC 4252 §5): a user, the service wanted after authentication ("ssh-connection") and one
/// method's fields. "none", "password", "publickey" and "keyboard-interactive" are parsed (<see cref="NoneAuthMethod"/>,
/// <see cref="PasswordAuthMethod"/>, <see cref="PublicKeyAuthMethod"/>, <see cref="KeyboardInteractiveAuthMethod"/>);
/// any other method keeps its fields raw
/// (<see cref="OtherAuthMethod"/>) so it can be refused with SSH_MSG_USERAUTH_FAILURE rather than a disconnect.
/// </summary>
public sealed record UserAuthRequest(string UserName, string ServiceName, UserAuthMethod Method)
{
    public const string Name = "SSH_MSG_USERAUTH_REQUEST";

    public static UserAuthRequest Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.UserAuthRequest, Name);
        var user = reader.ReadUtf8();
        var service = reader.ReadUtf8();
        var methodName = reader.ReadUtf8();
        UserAuthMethod method = methodName switch
        {
            NoneAuthMethod.MethodName => NoneAuthMethod.Instance,
            PasswordAuthMethod.MethodName => PasswordAuthMethod.Read(ref reader),
            PublicKeyAuthMethod.MethodName => PublicKeyAuthMethod.Read(ref reader),
            KeyboardInteractiveAuthMethod.MethodName => KeyboardInteractiveAuthMethod.Read(ref reader),
            _ => new OtherAuthMethod(methodName, reader.ReadRemaining().ToArray()),
        };
        reader.ExpectEnd($"{Name} for method \"{methodName}\"");
        return new UserAuthRequest(user, service, method);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.UserAuthRequest);
        writer.WriteUtf8(UserName);
        writer.WriteUtf8(ServiceName);
        writer.WriteUtf8(Method.MethodNameOnWire);
        Method.WriteFields(writer);
    }

    /// <summary>
    /// The bytes a "publickey" signature covers (RFC 4252 §7) for this request, which must use that method:
    /// <c>string session_id || byte 50 || string user || string service || string "publickey" || boolean TRUE ||
    /// string algorithm || string key blob</c>.
    /// </summary>
    public byte[] PublicKeySignedData(ReadOnlySpan<byte> sessionIdentifier)
    {
        if (Method is not PublicKeyAuthMethod publicKey)
        {
            throw new InvalidOperationException($"only a \"publickey\" request is signed; this one is \"{Method.MethodNameOnWire}\"");
        }

        return PublicKeyAuthMethod.SignedData(sessionIdentifier, UserName, ServiceName, publicKey.Algorithm, publicKey.PublicKey.Span);
    }
}

/// <summary>The method-specific part of SSH_MSG_USERAUTH_REQUEST (RFC 4252 §5).</summary>
public abstract record UserAuthMethod
{
    private protected UserAuthMethod()
    {
    }

    /// <summary>The method name as it is sent ("none", "password", "publickey", …).</summary>
    public abstract string MethodNameOnWire { get; }

    internal abstract void WriteFields(SshWriter writer);
}

/// <summary>The "none" method (RFC 4252 §5.2): no fields; the server's failure lists the methods that can continue.</summary>
public sealed record NoneAuthMethod : UserAuthMethod
{
    public const string MethodName = "none";

    public static NoneAuthMethod Instance { get; } = new();

    public override string MethodNameOnWire => MethodName;

    internal override void WriteFields(SshWriter writer)
    {
    }
}

/// <summary>
/// The "password" method (RFC 4252 §8): <c>boolean FALSE, string password</c>, or with the flag TRUE a password change
/// (old password, then <see cref="NewPassword"/>). Neither password ever appears in <see cref="object.ToString"/>.
/// </summary>
public sealed record PasswordAuthMethod(string Password, string? NewPassword = null) : UserAuthMethod
{
    public const string MethodName = "password";

    public override string MethodNameOnWire => MethodName;

    /// <summary>Whether the client asks to change its password (the boolean flag).</summary>
    public bool IsChange => NewPassword is not null;

    internal static PasswordAuthMethod Read(ref SshReader reader)
    {
        var change = reader.ReadBoolean();
        var password = reader.ReadUtf8();
        return new PasswordAuthMethod(password, change ? reader.ReadUtf8() : null);
    }

    internal override void WriteFields(SshWriter writer)
    {
        writer.WriteBoolean(IsChange);
        writer.WriteUtf8(Password);
        if (NewPassword is not null)
        {
            writer.WriteUtf8(NewPassword);
        }
    }

    protected override bool PrintMembers(System.Text.StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("Password = <redacted>");
        if (IsChange)
        {
            builder.Append(", NewPassword = <redacted>");
        }

        return true;
    }
}

/// <summary>
/// The "publickey" method (RFC 4252 §7): the algorithm, the public key blob and, when the client has signed,
/// the signature blob (<c>boolean TRUE</c>); without a signature (<c>boolean FALSE</c>) it asks whether the key would be
/// accepted (answered by SSH_MSG_USERAUTH_PK_OK). Beware that a null <c>byte[]</c> passed as the signature converts to an
/// empty signature, not to none; pass <c>null</c> itself (or omit it) for a query.
/// </summary>
public sealed record PublicKeyAuthMethod(string Algorithm, ReadOnlyMemory<byte> PublicKey, ReadOnlyMemory<byte>? Signature = null) : UserAuthMethod
{
    public const string MethodName = "publickey";

    public override string MethodNameOnWire => MethodName;

    public bool HasSignature => Signature.HasValue;

    internal static PublicKeyAuthMethod Read(ref SshReader reader)
    {
        var hasSignature = reader.ReadBoolean();
        var algorithm = reader.ReadUtf8();
        var key = reader.ReadString().ToArray();

        // The cast matters: a null byte[] converts to an empty ReadOnlyMemory, which would read as "has a signature".
        var signature = hasSignature ? (ReadOnlyMemory<byte>?)reader.ReadString().ToArray() : null;
        return new PublicKeyAuthMethod(algorithm, key, signature);
    }

    internal override void WriteFields(SshWriter writer)
    {
        writer.WriteBoolean(HasSignature);
        writer.WriteUtf8(Algorithm);
        writer.WriteString(PublicKey.Span);
        if (Signature is { } signature)
        {
            writer.WriteString(signature.Span);
        }
    }

    /// <summary>
    /// The bytes a "publickey" signature covers (RFC 4252 §7): <c>string session_id || byte SSH_MSG_USERAUTH_REQUEST ||
    /// string user || string service || string "publickey" || boolean TRUE || string algorithm || string key blob</c>.
    /// </summary>
    public static byte[] SignedData(
        ReadOnlySpan<byte> sessionIdentifier, string userName, string serviceName, string algorithm, ReadOnlySpan<byte> publicKey)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + sessionIdentifier.Length + publicKey.Length);
        var writer = new SshWriter(buffer);
        writer.WriteString(sessionIdentifier);
        writer.WriteByte((byte)SshMessageNumber.UserAuthRequest);
        writer.WriteUtf8(userName);
        writer.WriteUtf8(serviceName);
        writer.WriteUtf8(MethodName);
        writer.WriteBoolean(true);
        writer.WriteUtf8(algorithm);
        writer.WriteString(publicKey);
        return buffer.WrittenSpan.ToArray();
    }

    public bool Equals(PublicKeyAuthMethod? other) =>
        other is not null
        && Algorithm == other.Algorithm
        && MessageCodec.SameBytes(PublicKey, other.PublicKey)
        && MessageCodec.SameBytes(Signature, other.Signature);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Algorithm);
        MessageCodec.AddBytes(ref hash, PublicKey);
        hash.Add(Signature.HasValue);
        if (Signature is { } signature)
        {
            MessageCodec.AddBytes(ref hash, signature);
        }

        return hash.ToHashCode();
    }
}

/// <summary>
/// The "keyboard-interactive" method (RFC 4256 §3.1): <c>string language tag, string submethods</c> (both deprecated or
/// hints; OpenSSH sends them empty). The server then asks its questions with SSH_MSG_USERAUTH_INFO_REQUEST.
/// </summary>
public sealed record KeyboardInteractiveAuthMethod(string Language = "", string Submethods = "") : UserAuthMethod
{
    public const string MethodName = "keyboard-interactive";

    public override string MethodNameOnWire => MethodName;

    internal static KeyboardInteractiveAuthMethod Read(ref SshReader reader) => new(reader.ReadUtf8(), reader.ReadUtf8());

    internal override void WriteFields(SshWriter writer)
    {
        writer.WriteUtf8(Language);
        writer.WriteUtf8(Submethods);
    }
}

/// <summary>A method this implementation does not decode ("hostbased", "gssapi-with-mic", …): its fields as sent.</summary>
public sealed record OtherAuthMethod(string Name, ReadOnlyMemory<byte> Fields) : UserAuthMethod
{
    public override string MethodNameOnWire => Name;

    internal override void WriteFields(SshWriter writer) => writer.WriteRaw(Fields.Span);

    public bool Equals(OtherAuthMethod? other) => other is not null && Name == other.Name && MessageCodec.SameBytes(Fields, other.Fields);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name);
        MessageCodec.AddBytes(ref hash, Fields);
        return hash.ToHashCode();
    }
}
