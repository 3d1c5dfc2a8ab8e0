using HoopProxy.Ssh;
using HoopProxy.Ssh.Connection.Messages;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Messages;

/// <summary>Malformed payloads are protocol errors (<see cref="SshProtocolException"/>, ProtocolError) and nothing else.</summary>
public sealed class MalformedMessageTests
{
    [TestCaseSource(typeof(MessageCases), nameof(MessageCases.StructuredToTheEnd))]
    public void A_message_truncated_at_any_byte_is_a_protocol_error(MessageCase sample)
    {
        var bytes = sample.Encode();
        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes[..length];
            var error = Assert.Throws<SshProtocolException>(() => sample.Parse(prefix), $"truncated to {length} of {bytes.Length} bytes");
            Assert.That(error!.Reason, Is.EqualTo(SshDisconnectReason.ProtocolError));
        }
    }

    [TestCaseSource(typeof(MessageCases), nameof(MessageCases.StructuredToTheEnd))]
    public void A_byte_after_the_last_field_is_a_protocol_error(MessageCase sample)
    {
        byte[] bytes = [.. sample.Encode(), 0];
        var error = Assert.Throws<SshProtocolException>(() => sample.Parse(bytes));
        Assert.That(error!.Message, Does.Contain("1 unexpected bytes after SSH_MSG_"));
    }

    [TestCaseSource(typeof(MessageCases), nameof(MessageCases.AllAsTestCases))]
    public void Any_other_message_number_is_a_protocol_error_naming_the_expected_message(MessageCase sample)
    {
        var bytes = sample.Encode();
        var own = bytes[0];
        for (var number = 0; number < 256; number++)
        {
            if (number == own)
            {
                continue;
            }

            bytes[0] = (byte)number;
            var error = Assert.Throws<SshProtocolException>(() => sample.Parse(bytes), $"message number {number}");
            Assert.That(error!.Message, Does.StartWith("expected SSH_MSG_").And.Contain($"got message number {number}"));
        }

        var empty = Assert.Throws<SshProtocolException>(() => sample.Parse([]));
        Assert.That(empty!.Message, Does.Contain("empty"));
    }

    /// <summary>Only messages that end with raw data: for the others a trailing byte is an error (the trailing-byte test).</summary>
    [TestCaseSource(typeof(MessageCases), nameof(MessageCases.RawDataToTheEnd))]
    public void Raw_data_to_the_end_of_the_payload_keeps_a_trailing_byte_and_still_round_trips(MessageCase sample)
    {
        byte[] bytes = [.. sample.Encode(), 0x5A];
        var parsed = sample.Parse(bytes);
        Assert.That(MessageCases.EncodeAny(parsed), Is.EqualTo(bytes));
        Assert.That(parsed, Is.Not.EqualTo(sample.Message));
    }

    public static IEnumerable<TestCaseData> TypedRequestData() =>
        MessageCases.ChannelRequests()
            .Where(r => r.Name != "unknown")
            .Select(r => new TestCaseData(r.Request).SetArgDisplayNames(r.Name));

    [TestCaseSource(nameof(TypedRequestData))]
    public void Typed_channel_request_data_truncated_or_followed_by_a_byte_is_a_protocol_error(ChannelRequest request)
    {
        var data = request.RequestData.ToArray();
        for (var length = 0; length < data.Length; length++)
        {
            var truncated = request with { RequestData = data[..length] };
            Assert.Throws<SshProtocolException>(() => ReadTyped(truncated), $"truncated to {length} of {data.Length} bytes");
        }

        var longer = request with { RequestData = (byte[])[.. data, 0] };
        var error = Assert.Throws<SshProtocolException>(() => ReadTyped(longer));
        Assert.That(error!.Message, Does.Contain($"after the \"{request.RequestType}\" request data"));
    }

    [Test]
    public void Typed_global_request_and_channel_open_data_that_is_truncated_or_too_long_is_a_protocol_error()
    {
        var forward = GlobalRequest.TcpipForward("localhost", 2222);
        var open = ChannelOpen.DirectTcpip(1, 100, 100, new TcpipChannelData("h", 22, "o", 1));
        var x11 = ChannelOpen.X11(1, 100, 100, new X11ChannelData("127.0.0.1", 6000));
        foreach (var (name, data, read) in new (string, byte[], Action<byte[]>)[]
                 {
                     ("tcpip-forward", forward.RequestData.ToArray(), d => (forward with { RequestData = d }).ReadTcpipForward()),
                     ("direct-tcpip", open.TypeData.ToArray(), d => (open with { TypeData = d }).ReadTcpipData()),
                     ("x11", x11.TypeData.ToArray(), d => (x11 with { TypeData = d }).ReadX11Data()),
                 })
        {
            for (var length = 0; length < data.Length; length++)
            {
                Assert.Throws<SshProtocolException>(() => read(data[..length]), $"{name} truncated to {length}");
            }

            Assert.Throws<SshProtocolException>(() => read([.. data, 0]), $"{name} with a trailing byte");
            Assert.DoesNotThrow(() => read(data));
        }

        Assert.Throws<SshProtocolException>(() => new RequestSuccess(new byte[] { 0, 0, 1 }).ReadBoundPort());
        Assert.Throws<SshProtocolException>(() => new RequestSuccess().ReadBoundPort());
    }

    [Test]
    public void An_ext_info_count_larger_than_the_payload_can_hold_is_refused_before_allocating()
    {
        byte[] payload = [7, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0];
        var error = Assert.Throws<SshProtocolException>(() => HoopProxy.Ssh.Transport.Messages.ExtInfo.Parse(payload));
        Assert.That(error!.Message, Does.Contain("announces 4294967295 extensions"));
    }

    [Test]
    public void Invalid_utf8_in_a_text_field_is_a_protocol_error()
    {
        byte[] payload = [1, 0, 0, 0, 11, 0, 0, 0, 2, 0xC3, 0x28, 0, 0, 0, 0];
        Assert.Throws<SshProtocolException>(() => HoopProxy.Ssh.Transport.Messages.Disconnect.Parse(payload));
    }

    internal static void ReadTyped(ChannelRequest request)
    {
        switch (request.RequestType)
        {
            case PtyRequest.Type: request.ReadData<PtyRequest>(); break;
            case X11Request.Type: request.ReadData<X11Request>(); break;
            case EnvRequest.Type: request.ReadData<EnvRequest>(); break;
            case ShellRequest.Type: request.ReadData<ShellRequest>(); break;
            case ExecRequest.Type: request.ReadData<ExecRequest>(); break;
            case SubsystemRequest.Type: request.ReadData<SubsystemRequest>(); break;
            case WindowChangeRequest.Type: request.ReadData<WindowChangeRequest>(); break;
            case XonXoffRequest.Type: request.ReadData<XonXoffRequest>(); break;
            case SignalRequest.Type: request.ReadData<SignalRequest>(); break;
            case ExitStatusRequest.Type: request.ReadData<ExitStatusRequest>(); break;
            case ExitSignalRequest.Type: request.ReadData<ExitSignalRequest>(); break;
            case BreakRequest.Type: request.ReadData<BreakRequest>(); break;
            case KeepAliveRequest.Type: request.ReadData<KeepAliveRequest>(); break;
            case EowRequest.Type: request.ReadData<EowRequest>(); break;
            default: throw new AssertionException($"no typed reader for \"{request.RequestType}\"");
        }
    }
}
