using System.Buffers;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Wire;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

/// <summary>RFC 4251 §5 encodings, with the RFC's own mpint examples.</summary>
public sealed class SshWireTests
{
    private static byte[] Written(Action<SshWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new SshWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    [TestCase(new byte[] { }, new byte[] { 0, 0, 0, 0 })]
    [TestCase(new byte[] { 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7 }, new byte[] { 0, 0, 0, 8, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7 })]
    [TestCase(new byte[] { 0x80 }, new byte[] { 0, 0, 0, 2, 0x00, 0x80 })]
    [TestCase(new byte[] { 0, 0, 0x7f }, new byte[] { 0, 0, 0, 1, 0x7f })]
    public void Positive_mpints_are_written_as_rfc_4251_shows_and_read_back(byte[] magnitude, byte[] expected)
    {
        var bytes = Written(w => w.WritePositiveMpint(magnitude));
        Assert.That(bytes, Is.EqualTo(expected));
        var reader = new SshReader(bytes);
        Assert.That(reader.ReadPositiveMpint().ToArray(), Is.EqualTo(magnitude.SkipWhile(b => b == 0).ToArray()));
        Assert.That(reader.End, Is.True);
    }

    [TestCase(new byte[] { 0, 0, 0, 1, 0x80 }, "negative")]
    [TestCase(new byte[] { 0, 0, 0, 2, 0x00, 0x7f }, "superfluous leading zero")]
    public void Malformed_positive_mpints_are_protocol_errors(byte[] bytes, string reason)
    {
        var error = Assert.Throws<SshProtocolException>(() => new SshReader(bytes).ReadPositiveMpint());
        Assert.That(error!.Message, Does.Contain(reason));
        Assert.That(error.Reason, Is.EqualTo(SshDisconnectReason.ProtocolError));
    }

    [Test]
    public void Fields_round_trip_and_a_short_message_is_a_protocol_error()
    {
        var bytes = Written(w =>
        {
            w.WriteByte(20);
            w.WriteBoolean(true);
            w.WriteUInt32(0xDEADBEEF);
            w.WriteUInt64(1UL << 40);
            w.WriteUtf8("zoë");
            w.WriteNameList(["curve25519-sha256", "ext-info-c"]);
            w.WriteNameList([]);
        });
        var reader = new SshReader(bytes);
        Assert.That(reader.ReadByte(), Is.EqualTo(20));
        Assert.That(reader.ReadBoolean(), Is.True);
        Assert.That(reader.ReadUInt32(), Is.EqualTo(0xDEADBEEF));
        Assert.That(reader.ReadUInt64(), Is.EqualTo(1UL << 40));
        Assert.That(reader.ReadUtf8(), Is.EqualTo("zoë"));
        Assert.That(reader.ReadNameList(), Is.EqualTo(new[] { "curve25519-sha256", "ext-info-c" }));
        Assert.That(reader.ReadNameList(), Is.Empty);
        reader.ExpectEnd("the test message");

        Assert.Throws<SshProtocolException>(() => new SshReader([0, 0, 0, 5, 1, 2]).ReadString());
        Assert.Throws<SshProtocolException>(() => new SshReader([0, 0, 0, 3, (byte)'a', (byte)',', (byte)',']).ReadNameList());
        Assert.Throws<SshProtocolException>(() => new SshReader([0, 0, 0, 2, 0xC3, 0x28]).ReadUtf8());
    }
}
