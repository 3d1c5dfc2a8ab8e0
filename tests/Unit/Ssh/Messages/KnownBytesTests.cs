using System.Text;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Authentication.Messages;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Transport.Messages;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Messages;

/// <summary>Encodings checked against bytes written out by hand from the RFCs, so a mistake made on both sides of a round trip shows.</summary>
public sealed class KnownBytesTests
{
    private static readonly byte[] Key = [0, 0, 0, 11, .. "ssh-ed25519"u8, 0, 0, 0, 4, 0xDE, 0xAD, 0xBE, 0xEF];

    [Test]
    public void Disconnect_is_reason_description_language()
    {
        byte[] expected = [1, 0, 0, 0, 11, 0, 0, 0, 3, (byte)'b', (byte)'y', (byte)'e', 0, 0, 0, 2, (byte)'e', (byte)'n'];
        Assert.That(MessageCases.Encode(new Disconnect(SshDisconnectReason.ByApplication, "bye", "en").WriteTo), Is.EqualTo(expected));
        Assert.That(Disconnect.Parse(expected), Is.EqualTo(new Disconnect(SshDisconnectReason.ByApplication, "bye", "en")));
    }

    [Test]
    public void A_signed_publickey_request_is_laid_out_as_rfc_4252_section_7_shows()
    {
        var request = new UserAuthRequest("bob", "ssh-connection", new PublicKeyAuthMethod("ssh-ed25519", Key, new byte[] { 0xAA, 0xBB }));
        byte[] expected =
        [
            50,
            0, 0, 0, 3, .. "bob"u8,
            0, 0, 0, 14, .. "ssh-connection"u8,
            0, 0, 0, 9, .. "publickey"u8,
            1,
            0, 0, 0, 11, .. "ssh-ed25519"u8,
            0, 0, 0, 23, .. Key,
            0, 0, 0, 2, 0xAA, 0xBB,
        ];
        Assert.That(MessageCases.Encode(request.WriteTo), Is.EqualTo(expected));
        Assert.That(UserAuthRequest.Parse(expected), Is.EqualTo(request));
    }

    [Test]
    public void The_publickey_signed_data_is_session_id_then_the_request_with_flag_true_and_no_signature()
    {
        byte[] sessionId = [0x01, 0x02, 0x03, 0x04, 0x05];
        byte[] expected =
        [
            0, 0, 0, 5, 0x01, 0x02, 0x03, 0x04, 0x05,
            50,
            0, 0, 0, 3, (byte)'b', (byte)'o', (byte)'b',
            0, 0, 0, 14, (byte)'s', (byte)'s', (byte)'h', (byte)'-', (byte)'c', (byte)'o', (byte)'n', (byte)'n', (byte)'e', (byte)'c', (byte)'t', (byte)'i', (byte)'o', (byte)'n',
            0, 0, 0, 9, (byte)'p', (byte)'u', (byte)'b', (byte)'l', (byte)'i', (byte)'c', (byte)'k', (byte)'e', (byte)'y',
            1,
            0, 0, 0, 11, (byte)'s', (byte)'s', (byte)'h', (byte)'-', (byte)'e', (byte)'d', (byte)'2', (byte)'5', (byte)'5', (byte)'1', (byte)'9',
            0, 0, 0, 23,
            0, 0, 0, 11, (byte)'s', (byte)'s', (byte)'h', (byte)'-', (byte)'e', (byte)'d', (byte)'2', (byte)'5', (byte)'5', (byte)'1', (byte)'9',
            0, 0, 0, 4, 0xDE, 0xAD, 0xBE, 0xEF,
        ];

        Assert.That(PublicKeyAuthMethod.SignedData(sessionId, "bob", "ssh-connection", "ssh-ed25519", Key), Is.EqualTo(expected));

        // The request's own helper gives the same bytes whether or not the request already carries a signature.
        var unsigned = new UserAuthRequest("bob", "ssh-connection", new PublicKeyAuthMethod("ssh-ed25519", Key));
        var signed = unsigned with { Method = new PublicKeyAuthMethod("ssh-ed25519", Key, new byte[] { 1 }) };
        Assert.That(unsigned.PublicKeySignedData(sessionId), Is.EqualTo(expected));
        Assert.That(signed.PublicKeySignedData(sessionId), Is.EqualTo(expected));
        Assert.Throws<InvalidOperationException>(() =>
            new UserAuthRequest("bob", "ssh-connection", new PasswordAuthMethod("x")).PublicKeySignedData(sessionId));
    }

    [Test]
    public void A_password_request_is_flag_false_then_the_password_and_never_shows_it()
    {
        var request = new UserAuthRequest("alice", "ssh-connection", new PasswordAuthMethod("hunter2"));
        byte[] expected =
        [
            50, 0, 0, 0, 5, .. "alice"u8, 0, 0, 0, 14, .. "ssh-connection"u8, 0, 0, 0, 8, .. "password"u8,
            0, 0, 0, 0, 7, .. "hunter2"u8,
        ];
        Assert.That(MessageCases.Encode(request.WriteTo), Is.EqualTo(expected));

        var parsed = UserAuthRequest.Parse(expected);
        Assert.That(((PasswordAuthMethod)parsed.Method).Password, Is.EqualTo("hunter2"));
        Assert.That(parsed.ToString(), Does.Not.Contain("hunter2").And.Contain("alice").And.Contain("<redacted>"));
        Assert.That(parsed.Method.ToString(), Does.Not.Contain("hunter2"));

        var change = new PasswordAuthMethod("old-secret", "new-secret");
        Assert.That(change.ToString(), Does.Not.Contain("secret"));
        Assert.That(change.IsChange, Is.True);
    }

    [Test]
    public void Channel_open_direct_tcpip_carries_host_port_originator_address_and_port()
    {
        var open = ChannelOpen.DirectTcpip(7, 0x200000, 0x8000, new TcpipChannelData("db", 5432, "10.0.0.8", 51234));
        byte[] expected =
        [
            90, 0, 0, 0, 12, .. "direct-tcpip"u8, 0, 0, 0, 7, 0, 0x20, 0, 0, 0, 0, 0x80, 0,
            0, 0, 0, 2, (byte)'d', (byte)'b', 0, 0, 0x15, 0x38,
            0, 0, 0, 8, .. "10.0.0.8"u8, 0, 0, 0xC8, 0x22,
        ];
        Assert.That(MessageCases.Encode(open.WriteTo), Is.EqualTo(expected));
        Assert.That(ChannelOpen.Parse(expected).ReadTcpipData(), Is.EqualTo(new TcpipChannelData("db", 5432, "10.0.0.8", 51234)));
    }

    [Test]
    public void Channel_open_failure_reason_codes_are_those_of_rfc_4254()
    {
        Assert.That((uint)ChannelOpenFailureReason.AdministrativelyProhibited, Is.EqualTo(1));
        Assert.That((uint)ChannelOpenFailureReason.ConnectFailed, Is.EqualTo(2));
        Assert.That((uint)ChannelOpenFailureReason.UnknownChannelType, Is.EqualTo(3));
        Assert.That((uint)ChannelOpenFailureReason.ResourceShortage, Is.EqualTo(4));
        byte[] expected = [92, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.That(
            MessageCases.Encode(new ChannelOpenFailure(9, ChannelOpenFailureReason.AdministrativelyProhibited, "").WriteTo), Is.EqualTo(expected));
    }

    [Test]
    public void Pty_req_is_term_size_and_the_terminal_modes_string()
    {
        byte[] modes = [53, 0, 0, 0, 1, 0]; // ECHO 1, TTY_OP_END
        var request = ChannelRequest.Create(3, true, new PtyRequest("xterm", 80, 24, 0, 0, modes));
        byte[] expected =
        [
            98, 0, 0, 0, 3, 0, 0, 0, 7, .. "pty-req"u8, 1,
            0, 0, 0, 5, .. "xterm"u8, 0, 0, 0, 80, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, .. modes,
        ];
        Assert.That(MessageCases.Encode(request.WriteTo), Is.EqualTo(expected));
        var parsed = ChannelRequest.Parse(expected);
        Assert.That(parsed.Is<PtyRequest>(), Is.True);
        Assert.That(parsed.ReadData<PtyRequest>(), Is.EqualTo(new PtyRequest("xterm", 80, 24, 0, 0, modes)));
    }

    [Test]
    public void Exit_signal_and_window_change_and_break_are_laid_out_as_specified()
    {
        Assert.That(
            MessageCases.Encode(new ExitSignalRequest("TERM", false, "", "").WriteTo),
            Is.EqualTo(new byte[] { 0, 0, 0, 4, (byte)'T', (byte)'E', (byte)'R', (byte)'M', 0, 0, 0, 0, 0, 0, 0, 0, 0 }));
        Assert.That(
            MessageCases.Encode(new WindowChangeRequest(1, 2, 3, 4).WriteTo),
            Is.EqualTo(new byte[] { 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4 }));
        Assert.That(MessageCases.Encode(new BreakRequest(500).WriteTo), Is.EqualTo(new byte[] { 0, 0, 1, 0xF4 }));
        Assert.That(BreakRequest.RequestType, Is.EqualTo("break"));
        Assert.That(KeepAliveRequest.RequestType, Is.EqualTo("keepalive@openssh.com"));
        Assert.That(EowRequest.RequestType, Is.EqualTo("eow@openssh.com"));
    }

    [Test]
    public void Exec_keeps_commands_that_are_not_utf8_as_bytes()
    {
        var latin1 = Encoding.Latin1.GetBytes("cat caf\u00e9.txt");
        var parsed = ChannelRequest.Parse(MessageCases.Encode(ChannelRequest.Create(0, true, new ExecRequest(latin1)).WriteTo)).ReadData<ExecRequest>();
        Assert.That(parsed.Command.ToArray(), Is.EqualTo(latin1));
        Assert.That(parsed.CommandText, Is.Null);

        var utf8 = ExecRequest.FromText("ls caf\u00e9");
        Assert.That(utf8.Command.ToArray(), Is.EqualTo(Encoding.UTF8.GetBytes("ls caf\u00e9")));
        Assert.That(utf8.CommandText, Is.EqualTo("ls caf\u00e9"));
    }

    [Test]
    public void Reading_a_request_as_the_wrong_type_is_a_programming_error_not_a_protocol_error()
    {
        var request = ChannelRequest.Create(0, true, new ShellRequest());
        Assert.That(request.Is<ExecRequest>(), Is.False);
        Assert.Throws<InvalidOperationException>(() => request.ReadData<ExecRequest>());
        Assert.Throws<InvalidOperationException>(() => ChannelOpen.Session(0, 1, 1).ReadTcpipData());
        Assert.Throws<InvalidOperationException>(() => new GlobalRequest("keepalive@openssh.com", true).ReadTcpipForward());
    }

    [Test]
    public void Tcpip_forward_and_its_bound_port_reply()
    {
        var forward = GlobalRequest.TcpipForward("0.0.0.0", 0);
        byte[] expected = [80, 0, 0, 0, 13, .. "tcpip-forward"u8, 1, 0, 0, 0, 7, .. "0.0.0.0"u8, 0, 0, 0, 0];
        Assert.That(MessageCases.Encode(forward.WriteTo), Is.EqualTo(expected));
        Assert.That(GlobalRequest.Parse(expected).ReadTcpipForward(), Is.EqualTo(new TcpipForwardData("0.0.0.0", 0)));

        byte[] reply = [81, 0, 0, 0x9C, 0xBB];
        Assert.That(RequestSuccess.Parse(reply).ReadBoundPort(), Is.EqualTo(40123));
        Assert.That(MessageCases.Encode(RequestSuccess.WithBoundPort(40123).WriteTo), Is.EqualTo(reply));
    }

    [Test]
    public void Ext_info_server_sig_algs_is_read_as_a_name_list()
    {
        var info = new ExtInfo([new ExtInfoExtension("x", new byte[] { 1 }), ExtInfo.ServerSigAlgsExtension(["ssh-ed25519", "rsa-sha2-256"])]);
        byte[] expected =
        [
            7, 0, 0, 0, 2,
            0, 0, 0, 1, (byte)'x', 0, 0, 0, 1, 1,
            0, 0, 0, 15, .. "server-sig-algs"u8, 0, 0, 0, 24, .. "ssh-ed25519,rsa-sha2-256"u8,
        ];
        Assert.That(MessageCases.Encode(info.WriteTo), Is.EqualTo(expected));
        Assert.That(ExtInfo.Parse(expected).ServerSigAlgs, Is.EqualTo(new[] { "ssh-ed25519", "rsa-sha2-256" }));
        Assert.That(new ExtInfo([]).ServerSigAlgs, Is.Null);

        var malformed = new ExtInfo([new ExtInfoExtension(ExtInfo.ServerSigAlgsName, "a,,b"u8.ToArray())]);
        Assert.Throws<SshProtocolException>(() => _ = malformed.ServerSigAlgs);
    }

    [Test]
    public void Kex_ecdh_reply_is_three_strings()
    {
        var reply = new KexEcdhReply(new byte[] { 1 }, new byte[] { 2, 3 }, new byte[] { });
        byte[] expected = [31, 0, 0, 0, 1, 1, 0, 0, 0, 2, 2, 3, 0, 0, 0, 0];
        Assert.That(MessageCases.Encode(reply.WriteTo), Is.EqualTo(expected));
        Assert.That(KexEcdhReply.Parse(expected), Is.EqualTo(reply));
    }
}
