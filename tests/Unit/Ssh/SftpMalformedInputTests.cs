using System.Text.Json.Nodes;
using HoopProxy.Ssh.Session;
using HoopProxy.Ssh.Sftp;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Ssh.SftpTestPackets;

namespace HoopProxy.Tests.Unit.Ssh;

/// <summary>
/// What the SFTP decoder does with bytes it cannot read: one <c>decoding-stopped</c> event saying whose bytes and why,
/// nothing more from that channel, and never an exception into the relay — for oversized lengths, fields that run
/// past their packet, versions it does not read, request ids used twice, too many unanswered requests, and garbage.
/// </summary>
[TestFixture]
public sealed class SftpMalformedInputTests
{
    private static JsonObject SingleStop(List<JsonObject> events)
    {
        var stops = events.Where(e => e["operation"]!.GetValue<string>() == "decoding-stopped").ToList();
        Assert.That(stops, Has.Count.EqualTo(1), string.Join("\n", events.Select(e => e.ToJsonString())));
        Assert.That(events[^1], Is.SameAs(stops[0]), "nothing is recorded after decoding stopped");
        return stops[0];
    }

    private static void AssertStopped(List<JsonObject> events, string from, string reason)
    {
        var stop = SingleStop(events);
        Assert.That(JsonNode.DeepEquals(stop, new JsonObject { ["operation"] = "decoding-stopped", ["from"] = from, ["reason"] = reason }), Is.True, stop.ToJsonString());
    }

    private static byte[] Length(uint length, byte type, int bodyBytes = 0)
    {
        var packet = new byte[5 + bodyBytes];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(packet, length);
        packet[4] = type;
        return packet;
    }

    [TestCaseSource(typeof(SftpConversation), nameof(SftpConversation.Cuts))]
    public void An_oversized_packet_stops_decoding_before_it_is_held(Func<int, int> cut)
    {
        var events = new SftpConversation()
            .Client(Remove(1, "/a")).Server(Status(1, 0))
            .Client(Length(SftpPacketAssembler.MaxHeldPacketLength + 1, 13, 1000))
            .Client(Remove(2, "/b")).Server(Status(2, 0))
            .Play(cut);

        Assert.That(events[0]["path"]!.GetValue<string>(), Is.EqualTo("/a"));
        AssertStopped(events, "client", $"a packet of type 13 and {SftpPacketAssembler.MaxHeldPacketLength + 1} bytes is longer than the {SftpPacketAssembler.MaxHeldPacketLength} the decoder holds");
    }

    [Test]
    public void A_packet_of_the_largest_held_length_is_gathered_across_payloads()
    {
        var longPath = "/" + new string('p', SftpPacketAssembler.MaxHeldPacketLength - 10);
        var remove = Remove(1, longPath);
        Assert.That(remove.Length, Is.EqualTo(4 + SftpPacketAssembler.MaxHeldPacketLength));

        var events = new SftpConversation().Client(remove).Server(Status(1, 0)).Play(_ => 32 * 1024);

        Assert.That(events.Single()["path"]!.GetValue<string>(), Is.EqualTo(longPath));
    }

    [Test]
    public void A_write_longer_than_any_implementation_sends_stops_decoding()
    {
        var events = new SftpConversation()
            .Client(Length(SftpPacketAssembler.MaxContentPacketLength + 1, 6, 40))
            .Play(left => left);

        AssertStopped(events, "client", $"a WRITE packet of {SftpPacketAssembler.MaxContentPacketLength + 1} bytes is longer than the {SftpPacketAssembler.MaxContentPacketLength} accepted");
    }

    [Test]
    public void A_write_whose_data_does_not_fill_its_packet_stops_decoding()
    {
        var write = WriteRequest(1, Handle0, 0, new byte[10]);
        write[3] += 5;
        var events = new SftpConversation().Client(write, new byte[5]).Play(left => left);

        AssertStopped(events, "client", "a WRITE packet of 40 bytes says its data is 10 bytes, which does not fill it");
    }

    [Test]
    public void A_handle_longer_than_the_draft_allows_stops_decoding()
    {
        var events = new SftpConversation().Client(WriteRequest(1, new byte[300], 0, new byte[1])).Play(_ => 2);

        AssertStopped(events, "client", "a WRITE names a handle of 300 bytes (at most 256)");
    }

    [Test]
    public void A_data_packet_too_short_for_its_fields_stops_decoding()
    {
        var events = new SftpConversation().Server(Length(3, 103, 3)).Play(left => left);

        AssertStopped(events, "server", "a DATA packet of 3 bytes is shorter than its fixed fields");
    }

    [Test]
    public void A_string_that_runs_past_its_packet_stops_decoding()
    {
        var open = new Builder(3).U32(1).U32(1000).Build();
        var events = new SftpConversation().Client(open).Play(left => left);

        AssertStopped(events, "client", "a packet of type 3 holds a string of 1000 bytes that runs past its end");
    }

    [Test]
    public void A_packet_that_ends_before_its_fields_stops_decoding()
    {
        var events = new SftpConversation().Client(new Builder(18).U32(1).Str("/only-one-path").Build()).Play(left => left);

        AssertStopped(events, "client", "a packet of type 18 ends before its fields do (23 bytes)");
    }

    [Test]
    public void A_packet_of_length_zero_stops_decoding()
    {
        var events = new SftpConversation().Server(new byte[8]).Play(left => left);

        AssertStopped(events, "server", "a packet of length 0 (it has no type)");
    }

    [Test]
    public void A_version_other_than_3_stops_decoding()
    {
        var events = new SftpConversation().Client(Init()).Server(Version(6)).Client(Remove(1, "/x")).Server(Status(1, 0)).Play(left => left);

        AssertStopped(events, "server", "the server speaks SFTP version 6; only version 3 is decoded");
    }

    [Test]
    public void A_request_id_used_again_before_its_answer_stops_decoding()
    {
        var events = new SftpConversation().Client(Remove(5, "/a"), Remove(5, "/b")).Play(left => left, close: false);

        AssertStopped(events, "client", "request id 5 was used again before its answer came");
    }

    [Test]
    public void Too_many_unanswered_requests_stop_decoding()
    {
        var requests = Enumerable.Range(1, SftpDecoder.MaxWaitingRequests + 1).Select(i => Remove((uint)i, "/f" + i)).ToArray();

        var events = new SftpConversation().Client(requests).Play(left => left, close: false);

        AssertStopped(events, "client", $"more than {SftpDecoder.MaxWaitingRequests} requests are waiting for an answer");
    }

    [Test]
    public void After_decoding_stopped_the_channel_close_reports_nothing_more()
    {
        var observer = new SftpObserver();
        var events = new SftpConversation()
            .Client(Open(1, "/f", Write | Create | Truncate)).Server(HandleAnswer(1, Handle0))
            .Server(new byte[8])
            .Play(observer, left => left, close: false);
        var more = new List<ChannelObservation>();

        observer.OnData(true, Remove(2, "/x"), more);
        observer.OnClose(more);

        Assert.That(events.Select(e => e["operation"]!.GetValue<string>()), Is.EqualTo(new[] { "open", "decoding-stopped" }));
        Assert.That(more, Is.Empty);
    }

    /// <summary>Random bytes, random packets with random fields, and valid packets with bytes flipped: never an exception.</summary>
    [Test]
    public void Garbage_never_throws_and_stops_decoding_at_most_once([Range(0, 199)] int seed)
    {
        var random = new Random(seed);
        var valid = new[]
        {
            Init(), Open(1, "/f", Write | Create | Truncate), WriteRequest(2, Handle0, 0, new byte[100]), ReadRequest(3, Handle0, 0, 10),
            Close(4, Handle0), Opendir(5, "/d"), Readdir(6, Handle0), Setstat(7, "/f", a => a.U32(0x8000_000F).U64(1).U32(2).U32(3).U32(4).U32(5).U32(6).U32(1).Str("x").Str("y")),
            Extended(8, "copy-data", a => a.Str(Handle0).U64(0).U64(0).Str(Handle0).U64(0)),
        };
        var answers = new[] { Version(), HandleAnswer(1, Handle0), Status(2, 0), DataAnswer(3, new byte[10]), Status(4, 0), Name(6, "a"), Status(7, 1) };
        var conversation = new SftpConversation();
        for (var turn = 0; turn < 20; turn++)
        {
            var bytes = (seed % 3) switch
            {
                0 => RandomBytes(random, random.Next(1, 200)),
                1 => Flip(random, Concat(valid[random.Next(valid.Length)], answers[random.Next(answers.Length)])),
                _ => new Builder((byte)random.Next(256)).U32((uint)random.Next()).Str(RandomBytes(random, random.Next(0, 30))).U32((uint)random.Next()).Build(),
            };
            if (random.Next(2) == 0)
            {
                conversation.Client(bytes);
            }
            else
            {
                conversation.Server(bytes);
            }
        }

        List<JsonObject> events = [];
        Assert.DoesNotThrow(() => events = conversation.Play(_ => random.Next(1, 64)));
        Assert.That(events.Count(e => e["operation"]!.GetValue<string>() == "decoding-stopped"), Is.LessThanOrEqualTo(1));
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Flip(Random random, byte[] bytes)
    {
        bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
        return bytes;
    }
}
