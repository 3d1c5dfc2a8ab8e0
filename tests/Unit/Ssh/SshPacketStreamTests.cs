using System.IO.Pipelines;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Transport;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

public sealed class SshPacketStreamTests
{
    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    [Test]
    public async Task Packets_that_arrive_together_are_read_one_after_the_other()
    {
        var wire = new Pipe();
        using var sender = new SshPacketStream(new Duplex(new Pipe().Reader, wire.Writer));
        using var receiver = new SshPacketStream(new Duplex(wire.Reader, new Pipe().Writer));
        sender.WritePayload([21]);
        sender.WritePayload([2, 0, 0, 0, 0]);
        sender.WritePayload([94, 1, 2, 3]);
        await sender.FlushAsync();

        Assert.That(await receiver.ReadPayloadAsync(CancellationToken.None), Is.EqualTo(new byte[] { 21 }));
        Assert.That(await receiver.ReadPayloadAsync(CancellationToken.None), Is.EqualTo(new byte[] { 2, 0, 0, 0, 0 }));
        Assert.That(await receiver.ReadPayloadAsync(CancellationToken.None), Is.EqualTo(new byte[] { 94, 1, 2, 3 }));
    }

    [Test]
    public async Task An_oversized_packet_length_is_refused_before_its_body_is_awaited()
    {
        var wire = new Pipe();
        using var receiver = new SshPacketStream(new Duplex(wire.Reader, new Pipe().Writer));
        await wire.Writer.WriteAsync(new byte[] { 0x7f, 0xff, 0xff, 0xf8, 4 });
        var error = await Assert.ThrowsAsync<SshProtocolException>(async () => await receiver.ReadPayloadAsync(CancellationToken.None));
        Assert.That(error!.Reason, Is.EqualTo(SshDisconnectReason.ProtocolError));
        Assert.That(error.Message, Does.Contain("TooLarge"));
    }

    [Test]
    public async Task A_connection_closed_in_the_middle_of_a_packet_says_so()
    {
        var wire = new Pipe();
        using var receiver = new SshPacketStream(new Duplex(wire.Reader, new Pipe().Writer));
        await wire.Writer.WriteAsync(new byte[] { 0, 0, 0, 12, 4, 21 });
        await wire.Writer.CompleteAsync();
        var error = await Assert.ThrowsAsync<SshProtocolException>(async () => await receiver.ReadPayloadAsync(CancellationToken.None));
        Assert.That(error!.Reason, Is.EqualTo(SshDisconnectReason.ConnectionLost));
        Assert.That(error.Message, Does.Contain("in the middle of a packet"));
    }
}
