using HoopProxy.Ssh;
using HoopProxy.Ssh.Authentication.Messages;
using HoopProxy.Ssh.Transport.Messages;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Messages;

/// <summary>
/// The RFC 4256 messages beyond the shared round-trip, truncation and fuzz cases (<see cref="MessageCases"/>): their exact
/// bytes, counts that promise more than the payload holds, and answers that never show in a log line.
/// </summary>
public sealed class KeyboardInteractiveMessageTests
{
    [Test]
    public void An_info_request_with_one_hidden_prompt_has_the_bytes_of_RFC_4256()
    {
        var bytes = MessageCases.EncodeAny(new UserAuthInfoRequest("n", "i", [new KeyboardPrompt("P: ", Echo: false)]));
        Assert.That(Convert.ToHexString(bytes), Is.EqualTo(
            "3C" + "000000016E" + "0000000169" + "00000000" + "00000001" + "00000003503A20" + "00"));
    }

    [Test]
    public void An_info_response_has_the_count_then_each_answer()
    {
        var bytes = MessageCases.EncodeAny(new UserAuthInfoResponse(["ab", ""]));
        Assert.That(Convert.ToHexString(bytes), Is.EqualTo("3D" + "00000002" + "000000026162" + "00000000"));
    }

    [Test]
    public void A_keyboard_interactive_request_is_read_as_that_method_with_its_language_and_submethods()
    {
        // As a client that knows nothing of the type sends it: string language "", string submethods "pam".
        var bytes = MessageCases.EncodeAny(new UserAuthRequest("alice", ServiceRequest.Connection, new OtherAuthMethod("keyboard-interactive",
            new byte[] { 0, 0, 0, 0, 0, 0, 0, 3, (byte)'p', (byte)'a', (byte)'m' })));
        var request = UserAuthRequest.Parse(bytes);
        Assert.That(request.Method, Is.EqualTo(new KeyboardInteractiveAuthMethod("", "pam")));
    }

    [Test]
    public void A_keyboard_interactive_request_without_its_two_strings_is_a_protocol_error()
    {
        var bytes = MessageCases.EncodeAny(new UserAuthRequest("alice", ServiceRequest.Connection, new OtherAuthMethod("keyboard-interactive", new byte[] { 0, 0, 0, 0 })));
        var error = Assert.Throws<SshProtocolException>(() => UserAuthRequest.Parse(bytes));
        Assert.That(error!.Reason, Is.EqualTo(SshDisconnectReason.ProtocolError));
    }

    [TestCase(2u)]
    [TestCase(0xFFFFFFFFu)]
    public void An_info_response_that_announces_more_answers_than_it_holds_is_a_protocol_error(uint announced)
    {
        byte[] bytes = [0x3D, .. BigEndian(announced), 0, 0, 0, 1, (byte)'x'];
        var error = Assert.Throws<SshProtocolException>(() => UserAuthInfoResponse.Parse(bytes));
        Assert.That(error!.Reason, Is.EqualTo(SshDisconnectReason.ProtocolError));
        Assert.That(error.Message, Does.Contain(UserAuthInfoResponse.Name));
    }

    [TestCase(2u)]
    [TestCase(0x7FFFFFFFu)]
    public void An_info_request_that_announces_more_prompts_than_it_holds_is_a_protocol_error(uint announced)
    {
        byte[] bytes = [0x3C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, .. BigEndian(announced), 0, 0, 0, 1, (byte)'P', 0];
        var error = Assert.Throws<SshProtocolException>(() => UserAuthInfoRequest.Parse(bytes));
        Assert.That(error!.Reason, Is.EqualTo(SshDisconnectReason.ProtocolError));
    }

    [Test]
    public void An_info_response_never_shows_its_answers()
    {
        var response = new UserAuthInfoResponse(["eyJhbGciOiJSUzI1NiJ9.secret-claims.secret-signature"]);
        Assert.That(response.ToString(), Does.Not.Contain("secret").And.Contain("<redacted>"));
    }

    [Test]
    public void An_answer_that_is_not_UTF_8_is_a_protocol_error()
    {
        byte[] bytes = [0x3D, 0, 0, 0, 1, 0, 0, 0, 2, 0xC3, 0x28];
        var error = Assert.Throws<SshProtocolException>(() => UserAuthInfoResponse.Parse(bytes));
        Assert.That(error!.Message, Does.Contain("UTF-8"));
    }

    private static byte[] BigEndian(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];
}
