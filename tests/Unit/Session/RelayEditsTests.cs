using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Frontend;
using HoopProxy.Postgres.Session;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Session;

/// <summary>
/// An observer's edits land exactly in stream order: a replaced message is gone from the destination with its
/// replacement in its place, events are recorded between the bytes right after the message that raised them,
/// and the recording keeps the side of the conversation the client saw.
/// </summary>
public sealed class RelayEditsTests
{
    private sealed class MarkerEvent(string name) : IRecordedEvent
    {
        public string Type => "marker";

        public void WriteFields(Utf8JsonWriter writer) => writer.WriteString("name", name);
    }

    /// <summary>Replaces Query "SELECT secret" with Query "SELECT 'replaced'" and raises an event after every Query.</summary>
    private sealed class ReplacingObserver(RelayEdits edits) : IMessageObserver
    {
        public bool OnMessageStart(byte code) => true;

        public bool WantsMessage(byte code) => code == (byte)FrontendMessageCode.Query;

        public UninspectableAction OnUninspectable(byte code, int bodyLength) => UninspectableAction.Fail;

        public bool OnMessage(byte code, in ReadOnlySequence<byte> body)
        {
            Assert.That(Query.TryParse(body, out var query), Is.True);
            var text = query.TextString();
            if (text == "SELECT secret")
            {
                Query.Write(edits.ReplaceMessage(), "SELECT 'replaced'");
            }

            edits.Add(new MarkerEvent(text));
            return true;
        }
    }

    /// <summary>Keeps every record in order, as (kind, text).</summary>
    private sealed class ListRecording : ISessionRecording
    {
        public List<(string Kind, string Text)> Records { get; } = [];

        public string SessionId => "test";

        public ValueTask WriteDataAsync(RecordDirection direction, ReadOnlySequence<byte> bytes, CancellationToken cancellationToken = default)
        {
            Records.Add(("data", Encoding.UTF8.GetString(bytes)));
            return default;
        }

        public ValueTask WriteEventAsync(string type, JsonObject fields, CancellationToken cancellationToken = default) =>
            WriteEventAsync(new JsonRecordedEvent(type, fields), cancellationToken);

        public ValueTask WriteEventAsync(IRecordedEvent recordedEvent, CancellationToken cancellationToken = default)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                recordedEvent.WriteFields(writer);
                writer.WriteEndObject();
            }

            Records.Add(("event", JsonNode.Parse(buffer.WrittenSpan)!["name"]!.GetValue<string>()));
            return default;
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => default;

        public ValueTask CompleteAsync(string endReason) => default;

        public ValueTask DisposeAsync() => default;
    }

    private static byte[] Messages(params string[] queries)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var query in queries)
        {
            Query.Write(buffer, query);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static async Task<(string Destination, List<(string Kind, string Text)> Records)> RelayAsync(byte[] input, RecordedBytes recorded, int pieceSize)
    {
        var edits = new RelayEdits();
        var source = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, minimumSegmentSize: 16, useSynchronizationContext: false));
        var destination = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
        var relay = new MessageRelay(source.Reader, destination.Writer, new ReplacingObserver(edits), 1 << 20, 64 * 1024, "client", edits);
        var recording = new ListRecording();
        relay.RecordTo(recording, RecordDirection.ClientToServer, recorded);
        var running = relay.RunAsync(CancellationToken.None);
        for (var offset = 0; offset < input.Length; offset += pieceSize)
        {
            await source.Writer.WriteAsync(input.AsMemory(offset, Math.Min(pieceSize, input.Length - offset)));
        }

        await source.Writer.CompleteAsync();
        Assert.That(await running, Is.EqualTo(RelayEnd.SourceClosed));
        await destination.Writer.CompleteAsync();
        var read = await destination.Reader.ReadAsync();
        var forwarded = Encoding.UTF8.GetString(read.Buffer);
        destination.Reader.AdvanceTo(read.Buffer.End);
        return (forwarded, recording.Records);
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(4096)]
    public async Task A_replaced_message_is_forwarded_in_its_place_and_events_follow_their_message(int pieceSize)
    {
        var input = Messages("SELECT 1", "SELECT secret", "SELECT 2");
        var (destination, records) = await RelayAsync(input, RecordedBytes.AsForwarded, pieceSize);

        Assert.That(destination, Is.EqualTo(Encoding.UTF8.GetString(Messages("SELECT 1", "SELECT 'replaced'", "SELECT 2"))));
        var recordedData = string.Concat(records.Where(r => r.Kind == "data").Select(r => r.Text));
        Assert.That(recordedData, Is.EqualTo(destination), "recorded as forwarded");

        // Each marker comes right after the bytes of its own message and before the next message's bytes.
        var order = records.Select(r => r.Kind == "event" ? "event:" + r.Text : r.Text).ToList();
        Assert.That(order.IndexOf("event:SELECT 1"), Is.LessThan(order.IndexOf("event:SELECT secret")));
        var beforeSecret = string.Concat(order.TakeWhile(e => e != "event:SELECT secret").Where(e => !e.StartsWith("event:", StringComparison.Ordinal)));
        Assert.That(beforeSecret, Is.EqualTo(Encoding.UTF8.GetString(Messages("SELECT 1", "SELECT 'replaced'"))));
        var beforeLast = string.Concat(order.TakeWhile(e => e != "event:SELECT 2").Where(e => !e.StartsWith("event:", StringComparison.Ordinal)));
        Assert.That(beforeLast, Is.EqualTo(destination));
    }

    [Test]
    public async Task Recording_as_received_keeps_what_the_client_sent_while_the_peer_gets_the_replacement()
    {
        var input = Messages("SELECT secret", "SELECT 2");
        var (destination, records) = await RelayAsync(input, RecordedBytes.AsReceived, 4096);

        Assert.That(destination, Does.Contain("SELECT 'replaced'").And.Not.Contain("SELECT secret"));
        Assert.That(string.Concat(records.Where(r => r.Kind == "data").Select(r => r.Text)), Is.EqualTo(Encoding.UTF8.GetString(input)));
    }
}
