using System.IO.Pipelines;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Keys;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

/// <summary>
/// Our client and server transports connected by in-memory pipes: messages flow both ways while keys change (started
/// by either side, by volume), transport-only messages never reach the layer above, and a disconnect is reported.
/// </summary>
[TestFixture]
public sealed class SshTransportTests
{
    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    private static async Task<(SshTransport Client, SshTransport Server)> ConnectAsync(RekeyLimits? clientRekey = null, RekeyLimits? serverRekey = null)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var hostKey = SshPrivateKey.GenerateEd25519();
        var server = SshTransport.AcceptAsync(new Duplex(toServer.Reader, toClient.Writer), new TransportPreferences(), hostKey,
            serverRekey ?? RekeyLimits.Default, CancellationToken.None);
        var client = SshTransport.ConnectAsync(new Duplex(toClient.Reader, toServer.Writer), new TransportPreferences(),
            key => key.Equals(hostKey.PublicKey), clientRekey ?? RekeyLimits.Default, CancellationToken.None);
        return (await client, await server);
    }

    private static byte[] Data(uint channel, int length, byte fill) =>
        MessageBytes.Of(new ChannelData(channel, Enumerable.Repeat(fill, length).ToArray()).WriteTo);

    [TestCase(true)]
    [TestCase(false)]
    public async Task Messages_keep_flowing_both_ways_in_order_while_keys_change_by_volume(bool clientStartsRekeys)
    {
        var limit = new RekeyLimits(Bytes: 64 * 1024);
        var (client, server) = clientStartsRekeys ? await ConnectAsync(clientRekey: limit) : await ConnectAsync(serverRekey: limit);
        await using var _ = client;
        await using var __ = server;
        const int Messages = 200;

        // A window of 16 messages each way, as channels have: a key exchange holds at most that much.
        var clientCredit = new SemaphoreSlim(16);
        var serverCredit = new SemaphoreSlim(16);
        async Task SendAllAsync(SshTransport transport, byte fill, SemaphoreSlim credit)
        {
            for (var i = 0; i < Messages; i++)
            {
                await credit.WaitAsync();
                await transport.SendAsync(Data((uint)i, 4000, fill), CancellationToken.None);
            }
        }

        // Each side keeps reading after its last expected message, as a relay does: its reader also drives the key
        // exchanges it started, and what it sent meanwhile leaves only when that exchange ends.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        async Task ReceiveAllAsync(SshTransport transport, byte fill, TaskCompletionSource done, SemaphoreSlim senderCredit)
        {
            var expected = 0;
            try
            {
                while (true)
                {
                    var message = ChannelData.Parse(await transport.ReceiveAsync(stop.Token));
                    Assert.That(message.RecipientChannel, Is.EqualTo((uint)expected), "messages arrive in the order they were sent");
                    Assert.That(message.Data.ToArray(), Is.All.EqualTo(fill));
                    senderCredit.Release();
                    if (++expected == Messages)
                    {
                        done.SetResult();
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }

        var serverDone = new TaskCompletionSource();
        var clientDone = new TaskCompletionSource();
        var readers = Task.WhenAll(ReceiveAllAsync(server, 1, serverDone, clientCredit), ReceiveAllAsync(client, 2, clientDone, serverCredit));
        await Task.WhenAll(SendAllAsync(client, 1, clientCredit), SendAllAsync(server, 2, serverCredit), serverDone.Task.WaitAsync(stop.Token), clientDone.Task.WaitAsync(stop.Token));
        await stop.CancelAsync();
        await readers;

        // 200 × 4 KB each way against a 64 KiB limit: about a dozen key exchanges, counted on both sides.
        Assert.That(client.Rekeys, Is.GreaterThanOrEqualTo(10));
        Assert.That(server.Rekeys, Is.GreaterThanOrEqualTo(10));
        Assert.That(client.SessionId, Is.EqualTo(server.SessionId), "the session id stays that of the first exchange");
    }

    [Test]
    public async Task Ignore_and_debug_never_reach_the_layer_above()
    {
        var (client, server) = await ConnectAsync();
        await using var _ = client;
        await using var __ = server;
        await client.SendAsync(MessageBytes.Of(new Ignore(new byte[] { 1, 2, 3 }).WriteTo), CancellationToken.None);
        await client.SendAsync(MessageBytes.Of(new Debug(true, "a debug message", "").WriteTo), CancellationToken.None);
        await client.SendAsync(Data(7, 10, 9), CancellationToken.None);

        var received = await server.ReceiveAsync(CancellationToken.None);
        Assert.That(ChannelData.Parse(received).RecipientChannel, Is.EqualTo(7u));
    }

    [Test]
    public async Task An_unknown_transport_message_is_answered_with_unimplemented_naming_its_sequence_number()
    {
        var (client, server) = await ConnectAsync();
        await using var _ = client;
        await using var __ = server;
        await client.SendAsync(new byte[] { 8, 0xAA }, CancellationToken.None);
        await client.SendAsync(Data(1, 1, 1), CancellationToken.None);
        var serverSide = server.ReceiveAsync(CancellationToken.None);

        // The client's reader drops the UNIMPLEMENTED (it is transport-only); what follows it arrives.
        await server.SendAsync(Data(5, 1, 1), CancellationToken.None);
        Assert.That(ChannelData.Parse(await client.ReceiveAsync(CancellationToken.None)).RecipientChannel, Is.EqualTo(5u));
        Assert.That(ChannelData.Parse(await serverSide).RecipientChannel, Is.EqualTo(1u));
    }

    [Test]
    public async Task A_disconnect_is_reported_with_its_reason_and_text()
    {
        var (client, server) = await ConnectAsync();
        await using var _ = client;
        await using var __ = server;
        await server.DisconnectAsync(SshDisconnectReason.ByApplication, "bye for now");

        var error = await Assert.ThrowsAsync<SshDisconnectedException>(async () => await client.ReceiveAsync(CancellationToken.None));
        Assert.That(error!.Reason, Is.EqualTo(SshDisconnectReason.ByApplication));
        Assert.That(error.Description, Is.EqualTo("bye for now"));
    }

    [Test]
    public async Task A_key_exchange_message_outside_a_key_exchange_is_a_protocol_error()
    {
        var (client, server) = await ConnectAsync();
        await using var _ = client;
        await using var __ = server;
        await client.SendAsync(new byte[] { (byte)SshMessageNumber.NewKeys }, CancellationToken.None);

        var error = await Assert.ThrowsAsync<SshProtocolException>(async () => await server.ReceiveAsync(CancellationToken.None));
        Assert.That(error!.Reason, Is.EqualTo(SshDisconnectReason.ProtocolError));
    }
}
