using System.Buffers;
using System.Reflection;
using System.Text;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Authentication.Messages;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Transport.Messages;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Messages;

public delegate T PayloadParser<out T>(ReadOnlySpan<byte> payload);

/// <summary>One sample message: its value, its encoding through WriteTo, and its type's Parse.</summary>
public sealed class MessageCase
{
    public required string Name { get; init; }
    public required object Message { get; init; }
    public required Func<byte[]> Encode { get; init; }
    public required Func<byte[], object> Parse { get; init; }

    /// <summary>The message ends with data kept raw to the end of the payload, so a trailing byte belongs to that data.</summary>
    public bool EndsWithRawData { get; init; }

    public override string ToString() => Name;
}

public static class MessageCases
{
    public static MessageCase Of<T>(string name, T message, bool endsWithRawData = false)
        where T : notnull
    {
        var parse = Parser<T>();
        return new MessageCase
        {
            Name = name,
            Message = message,
            Encode = () => EncodeAny(message),
            Parse = bytes => parse(bytes),
            EndsWithRawData = endsWithRawData,
        };
    }

    /// <summary>Any message's encoding through its own WriteTo(IBufferWriter&lt;byte&gt;).</summary>
    public static byte[] EncodeAny(object message)
    {
        var write = message.GetType().GetMethod("WriteTo", [typeof(IBufferWriter<byte>)])
            ?? throw new InvalidOperationException($"{message.GetType().Name} has no WriteTo");
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            write.Invoke(message, [buffer]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static PayloadParser<T> Parser<T>()
    {
        var method = typeof(T).GetMethod("Parse", BindingFlags.Public | BindingFlags.Static, [typeof(ReadOnlySpan<byte>)])
            ?? throw new InvalidOperationException($"{typeof(T).Name} has no Parse(ReadOnlySpan<byte>)");
        return method.CreateDelegate<PayloadParser<T>>();
    }

    public static byte[] Encode(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static readonly byte[] Ed25519Key = [0, 0, 0, 11, .. "ssh-ed25519"u8, 0, 0, 0, 32, .. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly byte[] Signature = [0, 0, 0, 11, .. "ssh-ed25519"u8, 0, 0, 0, 64, .. Enumerable.Range(100, 64).Select(i => (byte)i)];

    public static IEnumerable<MessageCase> All()
    {
        // RFC 4253, RFC 8308, RFC 5656
        yield return Of("Disconnect", new Disconnect(SshDisconnectReason.ByApplication, "bye, zoë", "en"));
        yield return Of("Disconnect empty texts", new Disconnect(SshDisconnectReason.ProtocolError, ""));
        yield return Of("Ignore", new Ignore(new byte[] { 0, 1, 2, 255 }));
        yield return Of("Ignore empty", new Ignore(ReadOnlyMemory<byte>.Empty));
        yield return Of("Unimplemented", new Unimplemented(0xFFFF_FFFE));
        yield return Of("Debug", new Debug(true, "look here", "en-GB"));
        yield return Of("ServiceRequest", new ServiceRequest(ServiceRequest.UserAuth));
        yield return Of("ServiceAccept", new ServiceAccept(ServiceRequest.UserAuth));
        yield return Of("NewKeys", new NewKeys());
        yield return Of("ExtInfo", new ExtInfo([
            ExtInfo.ServerSigAlgsExtension(["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"]),
            new ExtInfoExtension("no-flow-control", "p"u8.ToArray()),
            new ExtInfoExtension("binary@example.com", new byte[] { 0, 0xFF, 0x80 }),
        ]));
        yield return Of("ExtInfo empty", new ExtInfo([]));
        yield return Of("KexEcdhInit", new KexEcdhInit(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray()));
        yield return Of("KexEcdhInit mlkem768x25519", new KexEcdhInit(Enumerable.Range(0, 1184 + 32).Select(i => (byte)i).ToArray()));
        yield return Of("KexEcdhReply", new KexEcdhReply(Ed25519Key, Enumerable.Range(0, 32).Select(i => (byte)(255 - i)).ToArray(), Signature));

        // RFC 4252
        yield return Of("UserAuthRequest none", new UserAuthRequest("alice", ServiceRequest.Connection, NoneAuthMethod.Instance));
        yield return Of("UserAuthRequest password", new UserAuthRequest("alice", ServiceRequest.Connection, new PasswordAuthMethod("s3cret-π")));
        yield return Of("UserAuthRequest password change", new UserAuthRequest("alice", ServiceRequest.Connection, new PasswordAuthMethod("old", "new")));
        yield return Of("UserAuthRequest publickey query", new UserAuthRequest("bob", ServiceRequest.Connection, new PublicKeyAuthMethod("ssh-ed25519", Ed25519Key)));
        yield return Of("UserAuthRequest publickey signed", new UserAuthRequest("bob", ServiceRequest.Connection, new PublicKeyAuthMethod("ssh-ed25519", Ed25519Key, Signature)));
        yield return Of("UserAuthRequest keyboard-interactive", new UserAuthRequest("carol", ServiceRequest.Connection, new KeyboardInteractiveAuthMethod()));
        yield return Of(
            "UserAuthRequest keyboard-interactive with submethods",
            new UserAuthRequest("carol", ServiceRequest.Connection, new KeyboardInteractiveAuthMethod("en-US", "pam,skey")));
        yield return Of(
            "UserAuthRequest hostbased",
            new UserAuthRequest("carol", ServiceRequest.Connection, new OtherAuthMethod("hostbased", new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 })),
            endsWithRawData: true);
        yield return Of("UserAuthFailure", new UserAuthFailure(["publickey", "password"], PartialSuccess: true));
        yield return Of("UserAuthFailure none left", new UserAuthFailure([]));
        yield return Of("UserAuthSuccess", new UserAuthSuccess());
        yield return Of("UserAuthBanner", new UserAuthBanner("Authorised use only.\r\n", "en"));
        yield return Of("UserAuthPublicKeyOk", new UserAuthPublicKeyOk("ssh-ed25519", Ed25519Key));

        // RFC 4256
        yield return Of("UserAuthInfoRequest one hidden prompt", new UserAuthInfoRequest("", "", [new KeyboardPrompt("Access token (or password): ", Echo: false)]));
        yield return Of(
            "UserAuthInfoRequest two prompts",
            new UserAuthInfoRequest("HoopProxy", "Sign in.", [new KeyboardPrompt("Name: ", Echo: true), new KeyboardPrompt("Code: ", Echo: false)], "en"));
        yield return Of("UserAuthInfoRequest no prompts", new UserAuthInfoRequest("", "Nothing to ask.", []));
        yield return Of("UserAuthInfoResponse one answer", new UserAuthInfoResponse(["eyJhbGciOiJSUzI1NiJ9.e30.c2ln"]));
        yield return Of("UserAuthInfoResponse two answers", new UserAuthInfoResponse(["alice", "π-123"]));
        yield return Of("UserAuthInfoResponse none", new UserAuthInfoResponse([]));

        // RFC 4254
        yield return Of("GlobalRequest keepalive", new GlobalRequest(GlobalRequest.KeepAliveOpenSshName, true), endsWithRawData: true);
        yield return Of("GlobalRequest tcpip-forward", GlobalRequest.TcpipForward("localhost", 0), endsWithRawData: true);
        yield return Of("GlobalRequest cancel-tcpip-forward", GlobalRequest.CancelTcpipForward("", 8080, wantReply: false), endsWithRawData: true);
        yield return Of("RequestSuccess", new RequestSuccess(), endsWithRawData: true);
        yield return Of("RequestSuccess bound port", RequestSuccess.WithBoundPort(40123), endsWithRawData: true);
        yield return Of("RequestFailure", new RequestFailure());
        yield return Of("ChannelOpen session", ChannelOpen.Session(0, 2 * 1024 * 1024, 32768), endsWithRawData: true);
        yield return Of("ChannelOpen direct-tcpip", ChannelOpen.DirectTcpip(7, 1 << 21, 1 << 15, new TcpipChannelData("db.internal", 5432, "10.0.0.8", 51234)), endsWithRawData: true);
        yield return Of("ChannelOpen forwarded-tcpip", ChannelOpen.ForwardedTcpip(3, 65536, 16384, new TcpipChannelData("127.0.0.1", 8080, "192.0.2.1", 1)), endsWithRawData: true);
        yield return Of("ChannelOpen x11", ChannelOpen.X11(4, 65536, 16384, new X11ChannelData("127.0.0.1", 6010)), endsWithRawData: true);
        yield return Of("ChannelOpen auth-agent", ChannelOpen.AuthAgent(5, 65536, 16384), endsWithRawData: true);
        yield return Of("ChannelOpenConfirmation", new ChannelOpenConfirmation(7, 0, 1 << 21, 1 << 15), endsWithRawData: true);
        yield return Of("ChannelOpenConfirmation with data", new ChannelOpenConfirmation(7, 0, 1 << 21, 1 << 15, new byte[] { 9, 9 }), endsWithRawData: true);
        yield return Of("ChannelOpenFailure", new ChannelOpenFailure(7, ChannelOpenFailureReason.ConnectFailed, "connection refused", "en"));
        yield return Of("ChannelOpenFailure unknown reason", new ChannelOpenFailure(7, (ChannelOpenFailureReason)99, ""));
        yield return Of("ChannelWindowAdjust", new ChannelWindowAdjust(1, 0x7FFF_FFFF));
        yield return Of("ChannelData", new ChannelData(2, "hello\n"u8.ToArray()));
        yield return Of("ChannelData empty", new ChannelData(2, ReadOnlyMemory<byte>.Empty));
        yield return Of("ChannelExtendedData", new ChannelExtendedData(2, ExtendedDataType.Stderr, "oops\n"u8.ToArray()));
        yield return Of("ChannelEof", new ChannelEof(2));
        yield return Of("ChannelClose", new ChannelClose(2));
        yield return Of("ChannelSuccess", new ChannelSuccess(2));
        yield return Of("ChannelFailure", new ChannelFailure(2));
        foreach (var (name, request) in ChannelRequests())
        {
            yield return Of($"ChannelRequest {name}", request, endsWithRawData: true);
        }
    }

    public static IEnumerable<(string Name, ChannelRequest Request)> ChannelRequests()
    {
        yield return ("pty-req", ChannelRequest.Create(2, true, new PtyRequest("xterm-256color", 80, 24, 640, 480, new byte[] { 53, 0, 0, 0, 1, 0 })));
        yield return ("x11-req", ChannelRequest.Create(2, true, new X11Request(false, "MIT-MAGIC-COOKIE-1", "0123456789abcdef0123456789abcdef", 0)));
        yield return ("env", ChannelRequest.Create(2, false, new EnvRequest("LANG", "en_US.UTF-8")));
        yield return ("shell", ChannelRequest.Create(2, true, new ShellRequest()));
        yield return ("exec", ChannelRequest.Create(2, true, ExecRequest.FromText("psql -c 'select 1'")));
        yield return ("exec latin-1", ChannelRequest.Create(2, true, new ExecRequest(Encoding.Latin1.GetBytes("cat caf\u00e9.txt"))));
        yield return ("subsystem", ChannelRequest.Create(2, true, new SubsystemRequest("sftp")));
        yield return ("window-change", ChannelRequest.Create(2, false, new WindowChangeRequest(132, 43, 1056, 688)));
        yield return ("xon-xoff", ChannelRequest.Create(2, false, new XonXoffRequest(true)));
        yield return ("signal", ChannelRequest.Create(2, false, new SignalRequest("INT")));
        yield return ("exit-status", ChannelRequest.Create(2, false, new ExitStatusRequest(130)));
        yield return ("exit-signal", ChannelRequest.Create(2, false, new ExitSignalRequest("KILL", true, "killed", "en")));
        yield return ("break", ChannelRequest.Create(2, true, new BreakRequest(500)));
        yield return ("keepalive@openssh.com", ChannelRequest.Create(2, true, new KeepAliveRequest()));
        yield return ("eow@openssh.com", ChannelRequest.Create(2, false, new EowRequest()));
        yield return ("unknown", new ChannelRequest(2, "auth-agent-req@openssh.com", false));
    }

    public static IEnumerable<TestCaseData> AllAsTestCases() => All().Select(c => new TestCaseData(c).SetArgDisplayNames(c.Name));

    public static IEnumerable<TestCaseData> RawDataToTheEnd() =>
        All().Where(c => c.EndsWithRawData).Select(c => new TestCaseData(c).SetArgDisplayNames(c.Name));

    public static IEnumerable<TestCaseData> StructuredToTheEnd() =>
        All().Where(c => !c.EndsWithRawData).Select(c => new TestCaseData(c).SetArgDisplayNames(c.Name));
}
