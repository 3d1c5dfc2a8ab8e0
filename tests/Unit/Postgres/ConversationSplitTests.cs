using System.Buffers;
using System.IO.Pipelines;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Session;
using NUnit.Framework;
using Fe = HoopProxy.Postgres.Protocol.Frontend;

namespace HoopProxy.Tests.Unit.Postgres;

/// <summary>
/// A realistic conversation in each direction, delivered cut at every byte boundary (and one byte at a time):
/// the framer and the relay must see exactly what they see when it arrives in one piece.
/// </summary>
public sealed class ConversationSplitTests
{
    private const int MaxMessage = 1 << 20;

    private static readonly byte[] BackendStream = BuildBackendStream();
    private static readonly byte[] FrontendStream = BuildFrontendStream();

    private static byte[] BuildBackendStream()
    {
        var output = new ArrayBufferWriter<byte>();
        AuthenticationRequest.WriteOk(output);
        new ParameterStatus("server_version", "17.2").WriteTo(output);
        new ParameterStatus("client_encoding", "UTF8").WriteTo(output);
        new ParameterStatus("DateStyle", "ISO, MDY").WriteTo(output);
        new BackendKeyData(4242, 0x5EC2E7).WriteTo(output);
        new ReadyForQuery(TransactionStatus.Idle).WriteTo(output);
        RowDescription.Write(output,
        [
            new FieldDescription("id", 16384, 1, 23, 4, -1, FormatCode.Text),
            new FieldDescription("note", 16384, 2, 25, -1, -1, FormatCode.Text),
        ]);
        DataRow.Write(output, ["1"u8.ToArray(), "first"u8.ToArray()]);
        DataRow.Write(output, ["2"u8.ToArray(), null]);
        // Larger than a pipe segment, so the relay sees it spread over several segments even unsplit.
        DataRow.Write(output, ["3"u8.ToArray(), [.. Enumerable.Range(0, 5000).Select(i => (byte)('a' + (i % 26)))]]);
        CommandComplete.Write(output, "SELECT 3");
        ErrorResponse.Create("ERROR", "42P01", "relation \"missing\" does not exist").WriteTo(output);
        new NoticeResponse(ErrorResponse.Create("NOTICE", "00000", "table \"t\" does not exist, skipping")).WriteTo(output);
        NotificationResponse.Write(output, 4243, "jobs", "{\"id\":7}");
        CopyOutResponse.Write(output, 0, [0, 0]);
        CopyData.Write(output, "1\tfirst\n"u8);
        CopyData.Write(output, "2\t\\N\n"u8);
        CopyDone.Write(output);
        CommandComplete.Write(output, "COPY 2");
        new ReadyForQuery(TransactionStatus.Idle).WriteTo(output);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] BuildFrontendStream()
    {
        var output = new ArrayBufferWriter<byte>();
        Fe.Query.Write(output, "SELECT id, note FROM t ORDER BY id");
        Fe.Parse.Write(output, "s1", "SELECT note FROM t WHERE id = $1", [23]);
        Fe.Bind.Write(output, "", "s1", [1], [[0, 0, 0, 2]], [0]);
        Fe.Describe.Write(output, Fe.DescribeTarget.Portal, "");
        Fe.Execute.Write(output, "", 0);
        Fe.Sync.Write(output);
        Fe.Query.Write(output, "COPY t FROM STDIN");
        Fe.CopyData.Write(output, "3\tthird\n"u8);
        Fe.CopyData.Write(output, [.. Enumerable.Range(0, 600).Select(i => (byte)('0' + (i % 10)))]);
        Fe.CopyDone.Write(output);
        Fe.Terminate.Write(output);
        return output.WrittenSpan.ToArray();
    }

    private static List<(byte Code, byte[] Body)> Frame(ReadOnlySequence<byte> input)
    {
        var messages = new List<(byte, byte[])>();
        var reader = new SequenceReader<byte>(input);
        while (MessageFramer.TryReadMessage(ref reader, MaxMessage, out var code, out var body))
        {
            messages.Add((code, body.ToArray()));
        }

        Assert.That(reader.End, Is.True, "bytes left over after the last message");
        return messages;
    }

    /// <summary>Frames what arrives piece by piece, the way a pipe reader does: unconsumed bytes stay and the next piece is appended.</summary>
    private static List<(byte Code, byte[] Body)> FrameIncrementally(byte[] stream, IEnumerable<int> pieceEnds)
    {
        var messages = new List<(byte, byte[])>();
        var consumed = 0;
        foreach (var end in pieceEnds)
        {
            var reader = new SequenceReader<byte>(Segments.SplitAt(stream[consumed..end], Math.Min(3, end - consumed)));
            while (MessageFramer.TryReadMessage(ref reader, MaxMessage, out var code, out var body))
            {
                messages.Add((code, body.ToArray()));
            }

            consumed += (int)reader.Consumed;
        }

        Assert.That(consumed, Is.EqualTo(stream.Length));
        return messages;
    }

    /// <summary>
    /// Compares two transcripts with plain span comparisons: NUnit's reflective equality boxes every byte of a
    /// 5 KB body and would make thousands of split points take seconds. The first difference is reported.
    /// </summary>
    private static void AssertSameMessages(List<(byte Code, byte[] Body)> actual, List<(byte Code, byte[] Body)> expected, string because)
    {
        var common = Math.Min(actual.Count, expected.Count);
        for (var i = 0; i < common; i++)
        {
            if (actual[i].Code != expected[i].Code || !actual[i].Body.AsSpan().SequenceEqual(expected[i].Body))
            {
                Assert.Fail($"{because}: message {i} is '{(char)actual[i].Code}' with {actual[i].Body.Length} bytes, expected '{(char)expected[i].Code}' with {expected[i].Body.Length}");
            }
        }

        Assert.That(actual, Has.Count.EqualTo(expected.Count), because);
    }

    private static readonly object[] Streams =
    [
        new object[] { "backend" },
        new object[] { "frontend" },
    ];

    private static byte[] StreamNamed(string name) => name == "backend" ? BackendStream : FrontendStream;

    [TestCaseSource(nameof(Streams))]
    public void The_streams_are_what_the_test_claims(string name)
    {
        var messages = Frame(new ReadOnlySequence<byte>(StreamNamed(name)));
        if (name == "backend")
        {
            Assert.That(BackendStream, Has.Length.GreaterThan(5000));
            Assert.That(new string([.. messages.Select(m => (char)m.Code)]), Is.EqualTo("RSSSKZTDDDCENAHddcCZ"));
        }
        else
        {
            Assert.That(new string([.. messages.Select(m => (char)m.Code)]), Is.EqualTo("QPBDESQddcX"));
        }
    }

    [TestCaseSource(nameof(Streams))]
    public void Framer_gives_the_same_messages_at_every_split_point(string name)
    {
        var stream = StreamNamed(name);
        var expected = Frame(new ReadOnlySequence<byte>(stream));
        for (var k = 1; k < stream.Length; k++)
        {
            AssertSameMessages(Frame(Segments.SplitAt(stream, k)), expected, $"one sequence cut at {k}");
            AssertSameMessages(FrameIncrementally(stream, [k, stream.Length]), expected, $"arriving in two pieces cut at {k}");
        }

        AssertSameMessages(Frame(Segments.OneBytePerSegment(stream)), expected, "one byte per segment");
        AssertSameMessages(FrameIncrementally(stream, Enumerable.Range(1, stream.Length)), expected, "arriving one byte at a time");
    }

    /// <summary>Wants a few message types whole and records them; stops after Terminate, as the session's observer does.</summary>
    private sealed class RecordingObserver(string wanted) : IMessageObserver
    {
        public List<(byte Code, byte[] Body)> Seen { get; } = [];

        /// <summary>Every message the relay began to forward, in order: each must appear exactly once.</summary>
        public List<byte> Started { get; } = [];

        public bool OnMessageStart(byte code)
        {
            Started.Add(code);
            return true;
        }

        public bool WantsMessage(byte code) => wanted.Contains((char)code, StringComparison.Ordinal);

        public UninspectableAction OnUninspectable(byte code, int bodyLength) => UninspectableAction.Fail;

        public bool OnMessage(byte code, in ReadOnlySequence<byte> body)
        {
            Seen.Add((code, body.ToArray()));
            if (code == (byte)Fe.Terminate.Code)
            {
                return false;
            }

            // Parse what the session will parse, so a body slice that breaks a parser fails here.
            if (code == (byte)ReadyForQuery.Code)
            {
                Assert.That(ReadyForQuery.TryParse(body, out _), Is.True);
            }
            else if (code == (byte)DataRow.Code)
            {
                Assert.That(DataRow.TryParse(body, out _), Is.True);
            }

            return true;
        }
    }

    // Backend: ReadyForQuery (drain points), the big DataRow (whole-message buffering across pieces), errors and notifications.
    // Frontend: Query and Terminate.
    private static string Wanted(string name) => name == "backend" ? "ZDEA" : "QX";

    private static RelayEnd ExpectedEnd(string name) => name == "backend" ? RelayEnd.SourceClosed : RelayEnd.ObserverStopped;

    /// <summary>
    /// Runs a relay between two pipes and feeds it the pieces. Inline schedulers make the relay process each
    /// piece inside the writer's FlushAsync, so every piece really is seen on its own, deterministically.
    /// A small segment size makes the relay's buffers multi-segment even for short messages.
    /// </summary>
    private static async Task<(byte[] Forwarded, List<(byte Code, byte[] Body)> Seen, RelayEnd End, List<byte> Started)> RelayAsync(string name, IEnumerable<int> pieceEnds)
    {
        var stream = StreamNamed(name);
        var options = new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, minimumSegmentSize: 64, useSynchronizationContext: false);
        var source = new Pipe(options);
        var destination = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
        var observer = new RecordingObserver(Wanted(name));
        var relay = new MessageRelay(source.Reader, destination.Writer, observer, MaxMessage, 64 * 1024, name == "backend" ? "server" : "client");
        var running = relay.RunAsync(CancellationToken.None);

        var start = 0;
        foreach (var end in pieceEnds)
        {
            await source.Writer.WriteAsync(stream.AsMemory(start, end - start));
            start = end;
        }

        await source.Writer.CompleteAsync();
        var relayEnd = await running;
        await destination.Writer.CompleteAsync();

        var forwarded = new List<byte>();
        while (true)
        {
            var read = await destination.Reader.ReadAsync();
            foreach (var segment in read.Buffer)
            {
                forwarded.AddRange(segment.ToArray());
            }

            destination.Reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        return ([.. forwarded], observer.Seen, relayEnd, observer.Started);
    }

    [TestCaseSource(nameof(Streams))]
    public async Task Relay_forwards_every_byte_and_shows_the_observer_the_same_messages_at_every_split_point(string name)
    {
        var stream = StreamNamed(name);
        var expectedSeen = Frame(new ReadOnlySequence<byte>(stream)).Where(m => Wanted(name).Contains((char)m.Code, StringComparison.Ordinal)).ToList();
        Assert.That(expectedSeen, Is.Not.Empty);
        var expectedStarted = Frame(new ReadOnlySequence<byte>(stream)).Select(m => m.Code).ToList();

        var whole = await RelayAsync(name, [stream.Length]);
        Assert.That(whole.Started, Is.EqualTo(expectedStarted), "every message started once, unsplit");
        Assert.That(whole.Forwarded, Is.EqualTo(stream));
        AssertSameMessages(whole.Seen, expectedSeen, "unsplit");
        Assert.That(whole.End, Is.EqualTo(ExpectedEnd(name)));

        for (var k = 1; k < stream.Length; k++)
        {
            var split = await RelayAsync(name, [k, stream.Length]);
            // Lengths first, then a span comparison: a few KB of bytes in a failure report would bury the split point.
            Assert.That(split.Forwarded.Length, Is.EqualTo(stream.Length), $"bytes forwarded, cut at {k}");
            Assert.That(split.Forwarded.AsSpan().SequenceEqual(stream), Is.True, $"bytes forwarded, cut at {k}");
            AssertSameMessages(split.Seen, expectedSeen, $"messages observed, cut at {k}");
            Assert.That(split.Started, Is.EqualTo(expectedStarted), $"every message started once, cut at {k}");
            Assert.That(split.End, Is.EqualTo(ExpectedEnd(name)), $"how the relay ended, cut at {k}");
        }

        var trickle = await RelayAsync(name, Enumerable.Range(1, stream.Length));
        Assert.That(trickle.Forwarded, Is.EqualTo(stream), "one byte at a time");
        AssertSameMessages(trickle.Seen, expectedSeen, "one byte at a time");
        Assert.That(trickle.Started, Is.EqualTo(expectedStarted), "every message started once, one byte at a time");
        Assert.That(trickle.End, Is.EqualTo(ExpectedEnd(name)), "one byte at a time");
    }

    [Test]
    public async Task Relay_reports_a_stream_that_ends_in_the_middle_of_a_message()
    {
        var cut = BackendStream.Length - 3;
        var error = await Assert.ThrowsAsync<PostgresProtocolException>(async () =>
        {
            var source = new Pipe();
            var destination = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
            var relay = new MessageRelay(source.Reader, destination.Writer, new RecordingObserver("Z"), MaxMessage, 64 * 1024, "server");
            await source.Writer.WriteAsync(BackendStream.AsMemory(0, cut));
            await source.Writer.CompleteAsync();
            await relay.RunAsync(CancellationToken.None);
        });
        Assert.That(error!.SqlState, Is.EqualTo("08P01"));
    }
}
