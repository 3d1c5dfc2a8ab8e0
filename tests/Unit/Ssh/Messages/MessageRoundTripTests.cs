using HoopProxy.Ssh.Transport;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Messages;

/// <summary>Every message type: written then parsed gives an equal value, and the parsed value re-encodes byte for byte.</summary>
public sealed class MessageRoundTripTests
{
    [TestCaseSource(typeof(MessageCases), nameof(MessageCases.AllAsTestCases))]
    public void Written_then_parsed_is_equal_and_re_encodes_to_the_same_bytes(MessageCase sample)
    {
        var bytes = sample.Encode();
        var parsed = sample.Parse(bytes);

        Assert.That(parsed, Is.EqualTo(sample.Message));
        Assert.That(parsed.GetHashCode(), Is.EqualTo(sample.Message.GetHashCode()));
        Assert.That(MessageCases.EncodeAny(parsed), Is.EqualTo(bytes));
        Assert.That(Enum.IsDefined((SshMessageNumber)bytes[0]), Is.True, "the first byte is a known message number");
    }

    [Test]
    public void Every_message_number_of_the_three_layers_has_a_sample()
    {
        var covered = MessageCases.All().Select(c => (SshMessageNumber)c.Encode()[0]).ToHashSet();
        var expected = Enum.GetValues<SshMessageNumber>().Where(n => n != SshMessageNumber.KexInit).Distinct();
        Assert.That(covered, Is.EquivalentTo(expected));
    }
}
