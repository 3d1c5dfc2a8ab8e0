using System.Security.Cryptography;
using System.Text.Json.Nodes;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Ssh.SftpTestPackets;

namespace HoopProxy.Tests.Unit.Ssh;

/// <summary>
/// Files up and down through the SFTP decoder as OpenSSH moves them — pipelined 32 KiB requests, short reads, reads
/// past the end — cut into payloads at every kind of boundary: one open and one close event per file, with the
/// bytes and the SHA-256 of the whole file, or why there is none.
/// </summary>
[TestFixture]
public sealed class SftpTransferTests
{
    private const int Chunk = 32 * 1024;

    private static byte[] Content(int length, int seed = 1)
    {
        var content = new byte[length];
        new Random(seed).NextBytes(content);
        return content;
    }

    private static string Sha256(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private static void AssertEvents(List<JsonObject> actual, params string[] expected)
    {
        Assert.That(actual, Has.Count.EqualTo(expected.Length), string.Join("\n", actual.Select(e => e.ToJsonString())));
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.That(JsonNode.DeepEquals(actual[i], JsonNode.Parse(expected[i])), Is.True, $"event {i}:\n{actual[i].ToJsonString()}\nexpected\n{expected[i]}");
        }
    }

    /// <summary>Up to four writes in flight, as OpenSSH's sftp pipelines them, each answered in order.</summary>
    private static SftpConversation Upload(string path, byte[] content, uint flags = Write | Create | Truncate)
    {
        var conversation = new SftpConversation()
            .Client(Init()).Server(Version())
            .Client(Open(1, path, flags, mode: 420)).Server(HandleAnswer(1, Handle0));
        var writes = Enumerable.Range(0, (content.Length + Chunk - 1) / Chunk).ToList();
        foreach (var batch in writes.Chunk(4))
        {
            conversation.Client([.. batch.Select(i => WriteRequest((uint)(10 + i), Handle0, (ulong)i * Chunk, content.AsSpan(i * Chunk, Math.Min(Chunk, content.Length - (i * Chunk)))))]);
            conversation.Server([.. batch.Select(i => Status((uint)(10 + i), 0))]);
        }

        return conversation.Client(Close(2, Handle0)).Server(Status(2, 0));
    }

    [TestCaseSource(typeof(SftpConversation), nameof(SftpConversation.Cuts))]
    public void An_upload_is_an_open_and_a_close_with_the_bytes_written_and_the_files_sha256(Func<int, int> cut)
    {
        var content = Content((5 * Chunk) + 1234);

        var events = Upload("/srv/up.bin", content).Play(cut);

        AssertEvents(events,
            """{"operation":"open","path":"/srv/up.bin","flags":["write","create","truncate"],"attributes":{"mode":"0644"},"status":"ok","handle":"00000000"}""",
            $$"""{"operation":"close","path":"/srv/up.bin","handle":"00000000","flags":["write","create","truncate"],"bytes_read":0,"bytes_written":{{content.Length}},"sha256":"{{Sha256(content)}}","status":"ok"}""");
    }

    /// <summary>
    /// OpenSSH's download: reads ahead in 32 KiB requests; the read at 64 KiB comes back short (the end of the file),
    /// so the client asks again for the rest of that block, and the reads past the end are answered with EOF — the
    /// one at the end of the content last.
    /// </summary>
    [TestCaseSource(typeof(SftpConversation), nameof(SftpConversation.Cuts))]
    public void A_download_read_ahead_to_eof_has_the_files_sha256(Func<int, int> cut)
    {
        var content = Content((2 * Chunk) + 5000);
        var events = new SftpConversation()
            .Client(Init()).Server(Version())
            .Client(Stat(1, "/srv/down.bin")).Server(Attrs(1))
            .Client(Open(2, "/srv/down.bin", Read)).Server(HandleAnswer(2, Handle1))
            .Client(ReadRequest(3, Handle1, 0, Chunk), ReadRequest(4, Handle1, Chunk, Chunk), ReadRequest(5, Handle1, 2 * Chunk, Chunk), ReadRequest(6, Handle1, 3 * Chunk, Chunk))
            .Server(DataAnswer(3, content.AsSpan(0, Chunk)), DataAnswer(4, content.AsSpan(Chunk, Chunk)), DataAnswer(5, content.AsSpan(2 * Chunk)))
            .Client(ReadRequest(7, Handle1, (2 * Chunk) + 5000, Chunk - 5000))
            .Server(Status(6, 1, "EOF"), Status(7, 1, "EOF"))
            .Client(Close(8, Handle1)).Server(Status(8, 0))
            .Play(cut);

        AssertEvents(events,
            """{"operation":"open","path":"/srv/down.bin","flags":["read"],"status":"ok","handle":"00000001"}""",
            $$"""{"operation":"close","path":"/srv/down.bin","handle":"00000001","flags":["read"],"bytes_read":{{content.Length}},"bytes_written":0,"sha256":"{{Sha256(content)}}","status":"ok"}""");
    }

    /// <summary>
    /// SSH.NET's download: 32755-byte reads ahead, no second request after the short last one; the read after it is
    /// answered with EOF, at an offset beyond where the content ends.
    /// </summary>
    [TestCaseSource(typeof(SftpConversation), nameof(SftpConversation.Cuts))]
    public void A_short_read_and_an_eof_after_it_end_the_file(Func<int, int> cut)
    {
        const int block = 32755;
        var content = Content((2 * block) + 100);
        var events = new SftpConversation()
            .Client(Open(1, "/f", Read)).Server(HandleAnswer(1, Handle0))
            .Client(ReadRequest(2, Handle0, 0, block), ReadRequest(3, Handle0, block, block), ReadRequest(4, Handle0, 2 * block, block), ReadRequest(5, Handle0, 3 * block, block))
            .Server(DataAnswer(2, content.AsSpan(0, block)), DataAnswer(3, content.AsSpan(block, block)), DataAnswer(4, content.AsSpan(2 * block)), Status(5, 1))
            .Client(Close(6, Handle0)).Server(Status(6, 0))
            .Play(cut);

        Assert.That(events[^1]["sha256"]?.GetValue<string>(), Is.EqualTo(Sha256(content)), events[^1].ToJsonString());
    }

    /// <summary>A short answer that was not the end after all: content after it means the end is further on.</summary>
    [TestCase(true)]
    [TestCase(false)]
    public void Content_after_a_short_read_moves_the_end(bool eofAtTheEnd)
    {
        var content = Content(300);
        var conversation = new SftpConversation()
            .Client(Open(1, "/pipe", Read)).Server(HandleAnswer(1, Handle0))
            .Client(ReadRequest(2, Handle0, 0, 200), ReadRequest(3, Handle0, 200, 200)).Server(DataAnswer(2, content.AsSpan(0, 100)), Status(3, 1))
            .Client(ReadRequest(4, Handle0, 100, 100)).Server(DataAnswer(4, content.AsSpan(100, 100)))
            .Client(ReadRequest(5, Handle0, 200, 200)).Server(DataAnswer(5, content.AsSpan(200, 100)));
        if (eofAtTheEnd)
        {
            conversation.Client(ReadRequest(6, Handle0, 300, 200)).Server(Status(6, 1));
        }

        var events = conversation.Client(Close(7, Handle0)).Server(Status(7, 0)).Play(left => left);

        Assert.That(events[^1]["sha256"]?.GetValue<string>(), Is.EqualTo(eofAtTheEnd ? Sha256(content) : null), events[^1].ToJsonString());
        Assert.That(events[^1]["sha256_unavailable"]?.GetValue<string>(), Is.EqualTo(eofAtTheEnd ? null : "not read to the end of the file"));
    }

    /// <summary>A client that asks for the file's size (fstat) and reads exactly that much is never answered EOF.</summary>
    [TestCase(1000u, true)]
    [TestCase(1001u, false)]
    public void Reads_up_to_the_size_an_fstat_gave_are_the_whole_file(uint reportedSize, bool whole)
    {
        var content = Content(1000);
        var events = new SftpConversation()
            .Client(Open(1, "/f", Read)).Server(HandleAnswer(1, Handle0))
            .Client(new Builder(8).U32(2).Str(Handle0).Build()).Server(new Builder(105).U32(2).U32(0x1 | 0x4).U64(reportedSize).U32(0x81A4).Build())
            .Client(ReadRequest(3, Handle0, 0, 600), ReadRequest(4, Handle0, 600, 400)).Server(DataAnswer(3, content.AsSpan(0, 600)), DataAnswer(4, content.AsSpan(600)))
            .Client(Close(5, Handle0)).Server(Status(5, 0))
            .Play(_ => 9);

        Assert.That(events, Has.Count.EqualTo(2), "an fstat is not an event");
        Assert.That(events[^1]["sha256"]?.GetValue<string>(), Is.EqualTo(whole ? Sha256(content) : null), events[^1].ToJsonString());
    }

    [Test]
    public void An_empty_file_uploaded_or_downloaded_has_the_sha256_of_nothing()
    {
        var events = new SftpConversation()
            .Client(Open(1, "/srv/empty", Write | Create | Truncate)).Server(HandleAnswer(1, Handle0))
            .Client(Close(2, Handle0)).Server(Status(2, 0))
            .Client(Open(3, "/srv/empty", Read)).Server(HandleAnswer(3, Handle0))
            .Client(ReadRequest(4, Handle0, 0, Chunk)).Server(Status(4, 1))
            .Client(Close(5, Handle0)).Server(Status(5, 0))
            .Play(left => left);

        var empty = Sha256([]);
        Assert.That(events.Where(e => e["operation"]!.GetValue<string>() == "close").Select(e => e["sha256"]!.GetValue<string>()), Is.EqualTo(new[] { empty, empty }));
    }

    [Test]
    public void Two_files_open_at_once_are_told_apart_by_their_handles()
    {
        var first = Content(1000, seed: 1);
        var second = Content(2000, seed: 2);
        var events = new SftpConversation()
            .Client(Open(1, "/a", Write | Create | Truncate), Open(2, "/b", Write | Create | Truncate)).Server(HandleAnswer(1, Handle0), HandleAnswer(2, Handle1))
            .Client(WriteRequest(3, Handle1, 0, second), WriteRequest(4, Handle0, 0, first)).Server(Status(4, 0), Status(3, 0))
            .Client(Close(5, Handle0), Close(6, Handle1)).Server(Status(6, 0), Status(5, 0))
            .Play(_ => 5);

        var closes = events.Where(e => e["operation"]!.GetValue<string>() == "close").ToList();
        Assert.That(closes.Select(e => (e["path"]!.GetValue<string>(), e["bytes_written"]!.GetValue<long>(), e["sha256"]!.GetValue<string>())),
            Is.EqualTo(new[] { ("/b", 2000L, Sha256(second)), ("/a", 1000L, Sha256(first)) }));
    }

    [Test]
    public void Writes_out_of_order_give_no_sha256_and_say_why()
    {
        var content = Content(3 * Chunk);
        var events = new SftpConversation()
            .Client(Open(1, "/srv/x", Write | Create | Truncate)).Server(HandleAnswer(1, Handle0))
            .Client(WriteRequest(2, Handle0, 0, content.AsSpan(0, Chunk)), WriteRequest(3, Handle0, 2 * Chunk, content.AsSpan(2 * Chunk)), WriteRequest(4, Handle0, Chunk, content.AsSpan(Chunk, Chunk)))
            .Server(Status(2, 0), Status(3, 0), Status(4, 0))
            .Client(Close(5, Handle0)).Server(Status(5, 0))
            .Play(left => left);

        var close = events.Single(e => e["operation"]!.GetValue<string>() == "close");
        Assert.That(close["bytes_written"]!.GetValue<long>(), Is.EqualTo(3 * Chunk));
        Assert.That(close.ContainsKey("sha256") && close["sha256"] is null, Is.True, close.ToJsonString());
        Assert.That(close["sha256_unavailable"]!.GetValue<string>(), Is.EqualTo($"non-sequential writes: a gap from offset {Chunk} to {2 * Chunk}"));
    }

    [TestCase(0u, 10u, "overlapping writes: one at offset 0 after the content up to 100")]
    [TestCase(100u, 10u, null)]
    public void A_later_write_keeps_the_sha256_only_when_it_continues_the_content(uint secondOffset, uint length, string? reason)
    {
        var content = Content(100);
        var events = new SftpConversation()
            .Client(Open(1, "/x", Write | Create | Truncate)).Server(HandleAnswer(1, Handle0))
            .Client(WriteRequest(2, Handle0, 0, content), WriteRequest(3, Handle0, secondOffset, new byte[length])).Server(Status(2, 0), Status(3, 0))
            .Client(Close(4, Handle0)).Server(Status(4, 0))
            .Play(left => left);

        var close = events[^1];
        Assert.That(close["sha256_unavailable"]?.GetValue<string>(), Is.EqualTo(reason));
        Assert.That(close["sha256"]?.GetValue<string>(), Is.EqualTo(reason is null ? Sha256([.. content, .. new byte[length]]) : null));
    }

    [Test]
    public void A_failed_write_is_not_counted_and_leaves_no_sha256()
    {
        var events = new SftpConversation()
            .Client(Open(1, "/full", Write | Create | Truncate)).Server(HandleAnswer(1, Handle0))
            .Client(WriteRequest(2, Handle0, 0, new byte[100]), WriteRequest(3, Handle0, 100, new byte[50])).Server(Status(2, 0), Status(3, 4, "No space left on device"))
            .Client(Close(4, Handle0)).Server(Status(4, 0))
            .Play(left => left);

        var close = events[^1];
        Assert.That(close["bytes_written"]!.GetValue<long>(), Is.EqualTo(100));
        Assert.That(close["sha256_unavailable"]!.GetValue<string>(), Is.EqualTo("the write at offset 100 failed: failure (No space left on device)"));
    }

    [Test]
    public void Writes_to_a_file_opened_without_truncate_may_not_be_the_whole_file()
    {
        var events = new SftpConversation()
            .Client(Open(1, "/log", Write | Create)).Server(HandleAnswer(1, Handle0))
            .Client(WriteRequest(2, Handle0, 0, new byte[10])).Server(Status(2, 0))
            .Client(Close(3, Handle0)).Server(Status(3, 0))
            .Play(left => left);

        Assert.That(events[^1]["sha256_unavailable"]!.GetValue<string>(), Is.EqualTo("opened without truncate and not cut to the written size: the file may hold more than was written"));
    }

    /// <summary>OpenSSH's scp writes in place: open without truncate, write, then cut the file at the written size.</summary>
    [TestCase(0u, true)]
    [TestCase(4u, false)]
    public void Writes_in_place_then_cut_to_the_written_size_are_the_whole_file(uint answer, bool whole)
    {
        var content = Content(3 * Chunk);
        var events = new SftpConversation()
            .Client(Open(1, "/in-place", Write | Create)).Server(HandleAnswer(1, Handle0))
            .Client([.. Enumerable.Range(0, 3).Select(i => WriteRequest((uint)(2 + i), Handle0, (ulong)(i * Chunk), content.AsSpan(i * Chunk, Chunk)))])
            .Server(Status(2, 0), Status(3, 0), Status(4, 0))
            .Client(Fsetstat(5, Handle0, a => a.U32(0x1).U64((ulong)content.Length))).Server(Status(5, answer))
            .Client(Close(6, Handle0)).Server(Status(6, 0))
            .Play(_ => 1500);

        AssertEvents(events[1..2],
            $$"""{"operation":"fsetstat","path":"/in-place","handle":"00000000","attributes":{"size":{{content.Length}}},"status":"{{(whole ? "ok" : "failure")}}"}""");
        Assert.That(events[^1]["sha256"]?.GetValue<string>(), Is.EqualTo(whole ? Sha256(content) : null));
        Assert.That(events[^1]["sha256_unavailable"]?.GetValue<string>(),
            Is.EqualTo(whole ? null : "opened without truncate and not cut to the written size: the file may hold more than was written"));
    }

    [Test]
    public void A_new_file_opened_with_create_and_excl_is_written_whole()
    {
        var content = Content(10);
        var events = new SftpConversation()
            .Client(Open(1, "/new", Write | Create | Exclusive)).Server(HandleAnswer(1, Handle0))
            .Client(WriteRequest(2, Handle0, 0, content)).Server(Status(2, 0))
            .Client(Close(3, Handle0)).Server(Status(3, 0))
            .Play(left => left);

        Assert.That(events[^1]["sha256"]!.GetValue<string>(), Is.EqualTo(Sha256(content)));
        Assert.That(events[0]["flags"]!.AsArray().Select(f => f!.GetValue<string>()), Is.EqualTo(new[] { "write", "create", "excl" }));
    }

    [Test]
    public void Data_answered_out_of_order_gives_no_sha256()
    {
        var content = Content(2 * Chunk);
        var events = new SftpConversation()
            .Client(Open(1, "/f", Read)).Server(HandleAnswer(1, Handle0))
            .Client(ReadRequest(2, Handle0, 0, Chunk), ReadRequest(3, Handle0, Chunk, Chunk), ReadRequest(4, Handle0, 2 * Chunk, Chunk))
            .Server(DataAnswer(3, content.AsSpan(Chunk)), DataAnswer(2, content.AsSpan(0, Chunk)), Status(4, 1))
            .Client(Close(5, Handle0)).Server(Status(5, 0))
            .Play(_ => 1000);

        var close = events[^1];
        Assert.That(close["bytes_read"]!.GetValue<long>(), Is.EqualTo(2 * Chunk));
        Assert.That(close["sha256_unavailable"]!.GetValue<string>(), Is.EqualTo($"the first read was at offset {Chunk}, not 0"));
    }

    [Test]
    public void A_file_not_read_to_its_end_has_no_sha256()
    {
        var events = new SftpConversation()
            .Client(Open(1, "/f", Read)).Server(HandleAnswer(1, Handle0))
            .Client(ReadRequest(2, Handle0, 0, 100)).Server(DataAnswer(2, new byte[100]))
            .Client(Close(3, Handle0)).Server(Status(3, 0))
            .Play(left => left);

        Assert.That(events[^1]["sha256_unavailable"]!.GetValue<string>(), Is.EqualTo("not read to the end of the file"));
        Assert.That(events[^1]["bytes_read"]!.GetValue<long>(), Is.EqualTo(100));
    }

    [Test]
    public void A_failed_read_leaves_no_sha256()
    {
        var events = new SftpConversation()
            .Client(Open(1, "/f", Read)).Server(HandleAnswer(1, Handle0))
            .Client(ReadRequest(2, Handle0, 0, 100)).Server(Status(2, 4, "Input/output error"))
            .Client(Close(3, Handle0)).Server(Status(3, 0))
            .Play(left => left);

        Assert.That(events[^1]["sha256_unavailable"]!.GetValue<string>(), Is.EqualTo("the read at offset 0 failed: failure (Input/output error)"));
    }

    [Test]
    public void A_handle_both_read_and_written_has_no_single_sha256()
    {
        var events = new SftpConversation()
            .Client(Open(1, "/rw", Read | Write)).Server(HandleAnswer(1, Handle0))
            .Client(WriteRequest(2, Handle0, 0, new byte[10]), ReadRequest(3, Handle0, 0, 10)).Server(Status(2, 0), DataAnswer(3, new byte[10]))
            .Client(Close(4, Handle0)).Server(Status(4, 0))
            .Play(left => left);

        Assert.That(events[^1]["sha256_unavailable"]!.GetValue<string>(), Is.EqualTo("read and written through the same handle"));
        Assert.That((events[^1]["bytes_read"]!.GetValue<long>(), events[^1]["bytes_written"]!.GetValue<long>()), Is.EqualTo((10L, 10L)));
    }

    [Test]
    public void A_size_set_through_the_handle_while_writing_drops_the_sha256()
    {
        var events = new SftpConversation()
            .Client(Open(1, "/t", Write | Create | Truncate)).Server(HandleAnswer(1, Handle0))
            .Client(WriteRequest(2, Handle0, 0, new byte[100]), Fsetstat(3, Handle0, a => a.U32(0x1).U64(50))).Server(Status(2, 0), Status(3, 0))
            .Client(Close(4, Handle0)).Server(Status(4, 0))
            .Play(left => left);

        AssertEvents(events[1..2], """{"operation":"fsetstat","path":"/t","handle":"00000000","attributes":{"size":50},"status":"ok"}""");
        Assert.That(events[^1]["sha256_unavailable"]!.GetValue<string>(), Is.EqualTo("its size was set to 50 while open (fsetstat)"));
    }

    [Test]
    public void A_file_open_when_the_channel_closes_is_reported_unfinished()
    {
        var events = new SftpConversation()
            .Client(Open(1, "/big", Write | Create | Truncate)).Server(HandleAnswer(1, Handle0))
            .Client(WriteRequest(2, Handle0, 0, new byte[100]), WriteRequest(3, Handle0, 100, new byte[100])).Server(Status(2, 0))
            .Play(left => left);

        AssertEvents(events[1..],
            """{"operation":"close","path":"/big","handle":"00000000","flags":["write","create","truncate"],"bytes_read":0,"bytes_written":100,"sha256":null,"sha256_unavailable":"the file was still open when the channel closed","unfinished":true}""");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void A_file_read_to_its_end_has_its_sha256_even_when_the_channel_closes_before_the_file(bool readToTheEnd)
    {
        var content = Content(100);
        var conversation = new SftpConversation()
            .Client(Open(1, "/f", Read)).Server(HandleAnswer(1, Handle0))
            .Client(ReadRequest(2, Handle0, 0, 100)).Server(DataAnswer(2, content));
        if (readToTheEnd)
        {
            conversation.Client(ReadRequest(3, Handle0, 100, 100)).Server(Status(3, 1));
        }

        var close = conversation.Play(left => left)[^1];

        Assert.That(close["unfinished"]!.GetValue<bool>(), Is.True);
        Assert.That(close["sha256"]?.GetValue<string>(), Is.EqualTo(readToTheEnd ? Sha256(content) : null));
        Assert.That(close["sha256_unavailable"]?.GetValue<string>(), Is.EqualTo(readToTheEnd ? null : "not read to the end of the file"));
    }

    [Test]
    public void A_write_cut_off_inside_its_data_is_counted_by_no_one_and_nothing_throws()
    {
        var write = WriteRequest(2, Handle0, 0, new byte[Chunk]);
        var events = new SftpConversation()
            .Client(Open(1, "/cut", Write | Create | Truncate)).Server(HandleAnswer(1, Handle0))
            .Client(write[..(write.Length / 2)])
            .Play(_ => 333);

        Assert.That(events[^1]["unfinished"]!.GetValue<bool>(), Is.True);
        Assert.That(events[^1]["bytes_written"]!.GetValue<long>(), Is.Zero);
    }

    /// <summary>
    /// A client that closes a file before writing to it, and a server that answers the close while the write's content
    /// is still passing: the content hashed was never written, so there is no hash, and nothing breaks.
    /// </summary>
    [Test]
    public void A_close_answered_while_a_write_is_still_passing_leaves_no_sha256()
    {
        var write = WriteRequest(3, Handle0, 0, Content(Chunk));
        var events = new SftpConversation()
            .Client(Open(1, "/f", Write | Create | Truncate)).Server(HandleAnswer(1, Handle0))
            .Client(Close(2, Handle0), write[..1000])
            .Server(Status(2, 0))
            .Client(write[1000..])
            .Server(Status(3, 4, "Bad handle"))
            .Play(_ => 100);

        AssertEvents(events[1..],
            """{"operation":"close","path":"/f","handle":"00000000","flags":["write","create","truncate"],"bytes_read":0,"bytes_written":0,"sha256":null,"sha256_unavailable":"closed while writes were still unanswered","status":"ok"}""");
    }

    [Test]
    public void Reads_answered_after_the_close_change_nothing()
    {
        var events = new SftpConversation()
            .Client(Open(1, "/f", Read)).Server(HandleAnswer(1, Handle0))
            .Client(ReadRequest(2, Handle0, 0, 10), Close(3, Handle0)).Server(Status(3, 0), DataAnswer(2, new byte[10]))
            .Play(left => left);

        Assert.That(events, Has.Count.EqualTo(2));
        Assert.That(events[1]["bytes_read"]!.GetValue<long>(), Is.Zero);
        Assert.That(events[1]["sha256"], Is.Null);
    }
}
