using System.Text.Json.Nodes;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Ssh.SftpTestPackets;

namespace HoopProxy.Tests.Unit.Ssh;

/// <summary>
/// The SFTP operations other than moving content, one event each when the server answers: paths, what was set, the
/// status and the server's message on failure; answers paired with requests by id whatever their order; listings
/// summed up per directory handle; lookups not recorded; what was unanswered when the channel closed.
/// </summary>
[TestFixture]
public sealed class SftpOperationTests
{
    private static void AssertEvents(List<JsonObject> actual, params string[] expected)
    {
        Assert.That(actual, Has.Count.EqualTo(expected.Length), string.Join("\n", actual.Select(e => e.ToJsonString())));
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.That(JsonNode.DeepEquals(actual[i], JsonNode.Parse(expected[i])), Is.True, $"event {i}:\n{actual[i].ToJsonString()}\nexpected\n{expected[i]}");
        }
    }

    [TestCaseSource(typeof(SftpConversation), nameof(SftpConversation.Cuts))]
    public void Changes_are_recorded_with_their_paths_and_status(Func<int, int> cut)
    {
        var events = new SftpConversation()
            .Client(Init()).Server(Version())
            .Client(Mkdir(1, "/d", 493), Rename(2, "/d/a", "/d/b"), Remove(3, "/d/b"), Rmdir(4, "/d"), Symlink(5, "/etc/hosts", "/d/hosts"))
            .Server(Status(1, 0), Status(2, 0), Status(3, 0), Status(4, 0), Status(5, 0))
            .Play(cut);

        AssertEvents(events,
            """{"operation":"mkdir","path":"/d","attributes":{"mode":"0755"},"status":"ok"}""",
            """{"operation":"rename","path":"/d/a","new_path":"/d/b","status":"ok"}""",
            """{"operation":"remove","path":"/d/b","status":"ok"}""",
            """{"operation":"rmdir","path":"/d","status":"ok"}""",
            """{"operation":"symlink","path":"/d/hosts","target":"/etc/hosts","status":"ok"}""");
    }

    [Test]
    public void A_failure_has_the_status_and_the_servers_message()
    {
        var events = new SftpConversation()
            .Client(Open(1, "/root/secret", Read), Remove(2, "/etc/passwd"), Mkdir(3, "/tmp/x", 511))
            .Server(Status(1, 2, "No such file"), Status(2, 3, "Permission denied"), Status(3, 4))
            .Play(left => left);

        AssertEvents(events,
            """{"operation":"open","path":"/root/secret","flags":["read"],"status":"no-such-file","message":"No such file"}""",
            """{"operation":"remove","path":"/etc/passwd","status":"permission-denied","message":"Permission denied"}""",
            """{"operation":"mkdir","path":"/tmp/x","attributes":{"mode":"0777"},"status":"failure"}""");
    }

    [Test]
    public void Answers_in_another_order_than_the_requests_are_paired_by_id()
    {
        var events = new SftpConversation()
            .Client(Remove(7, "/first"), Remove(8, "/second"), Rmdir(9, "/third"))
            .Server(Status(9, 0), Status(7, 2, "No such file"), Status(8, 0))
            .Play(_ => 3);

        AssertEvents(events,
            """{"operation":"rmdir","path":"/third","status":"ok"}""",
            """{"operation":"remove","path":"/first","status":"no-such-file","message":"No such file"}""",
            """{"operation":"remove","path":"/second","status":"ok"}""");
    }

    [TestCaseSource(typeof(SftpConversation), nameof(SftpConversation.Cuts))]
    public void A_listing_is_one_event_with_the_number_of_entries(Func<int, int> cut)
    {
        var events = new SftpConversation()
            .Client(Opendir(1, "/home/u")).Server(HandleAnswer(1, Handle0))
            .Client(Readdir(2, Handle0)).Server(Name(2, ".", "..", "a.txt"))
            .Client(Readdir(3, Handle0)).Server(Name(3, "b.txt", "c.txt"))
            .Client(Readdir(4, Handle0)).Server(Status(4, 1, "EOF"))
            .Client(Close(5, Handle0)).Server(Status(5, 0))
            .Client(Opendir(6, "/root")).Server(Status(6, 3, "Permission denied"))
            .Play(cut);

        AssertEvents(events,
            """{"operation":"listing","path":"/home/u","handle":"00000000","entries":5,"status":"ok"}""",
            """{"operation":"listing","path":"/root","status":"permission-denied","message":"Permission denied"}""");
    }

    [Test]
    public void Setstat_records_each_attribute_it_sets()
    {
        var events = new SftpConversation()
            .Client(Setstat(1, "/f", a => a.U32(0xF).U64(1024).U32(1000).U32(100).U32(0x81A4).U32(1_700_000_000).U32(1_700_000_060)))
            .Server(Status(1, 0))
            .Client(Extended(2, "lsetstat@openssh.com", a => a.Str("/link").U32(0x8).U32(0).U32(86400)))
            .Server(Status(2, 8, "Operation unsupported"))
            .Play(left => left);

        AssertEvents(events,
            """{"operation":"setstat","path":"/f","attributes":{"size":1024,"uid":1000,"gid":100,"mode":"0100644","atime":"2023-11-14T22:13:20Z","mtime":"2023-11-14T22:14:20Z"},"status":"ok"}""",
            """{"operation":"setstat","path":"/link","attributes":{"atime":"1970-01-01T00:00:00Z","mtime":"1970-01-02T00:00:00Z"},"extension":"lsetstat@openssh.com","status":"op-unsupported","message":"Operation unsupported"}""");
    }

    [Test]
    public void OpenSSH_extensions_that_change_files_are_recorded_and_lookups_are_not()
    {
        var events = new SftpConversation()
            .Client(Open(1, "/src", Read), Open(2, "/dst", Write | Create | Truncate)).Server(HandleAnswer(1, Handle0), HandleAnswer(2, Handle1))
            .Client(
                Extended(3, "posix-rename@openssh.com", a => a.Str("/a").Str("/b")),
                Extended(4, "hardlink@openssh.com", a => a.Str("/b").Str("/c")),
                Extended(5, "copy-data", a => a.Str(Handle0).U64(0).U64(0).Str(Handle1).U64(0)),
                Extended(6, "statvfs@openssh.com", a => a.Str("/")),
                Extended(7, "limits@openssh.com", a => a),
                Extended(8, "expand-path@openssh.com", a => a.Str("~/x")),
                Extended(9, "fsync@openssh.com", a => a.Str(Handle1)),
                Extended(10, "check-file-name", a => a.Str("/a").Str("sha256")),
                Stat(11, "/a"))
            .Server(Status(3, 0), Status(4, 0), Status(5, 0), new Builder(201).U32(6).U64(4096).Build(), new Builder(201).U32(7).U64(1).Build(),
                Name(8, "/home/u/x"), Status(9, 0), new Builder(201).U32(10).Str("sha256").Build(), Attrs(11))
            .Client(Close(12, Handle0), Close(13, Handle1)).Server(Status(12, 0), Status(13, 0))
            .Play(left => left);

        AssertEvents(events,
            """{"operation":"open","path":"/src","flags":["read"],"status":"ok","handle":"00000000"}""",
            """{"operation":"open","path":"/dst","flags":["write","create","truncate"],"status":"ok","handle":"00000001"}""",
            """{"operation":"rename","path":"/a","new_path":"/b","extension":"posix-rename@openssh.com","status":"ok"}""",
            """{"operation":"hardlink","path":"/c","target":"/b","extension":"hardlink@openssh.com","status":"ok"}""",
            """{"operation":"copy","path":"/src","offset":0,"length":0,"destination":"/dst","destination_offset":0,"extension":"copy-data","status":"ok"}""",
            """{"operation":"extension","extension":"check-file-name","status":"ok"}""",
            """{"operation":"close","path":"/src","handle":"00000000","flags":["read"],"bytes_read":0,"bytes_written":0,"status":"ok"}""",
            """{"operation":"close","path":"/dst","handle":"00000001","flags":["write","create","truncate"],"bytes_read":0,"bytes_written":0,"sha256":null,"sha256_unavailable":"content was copied into it on the server (copy-data)","status":"ok"}""");
    }

    [Test]
    public void Changes_still_unanswered_when_the_channel_closes_are_reported_as_such()
    {
        var events = new SftpConversation()
            .Client(Opendir(1, "/d")).Server(HandleAnswer(1, Handle0))
            .Client(Readdir(2, Handle0)).Server(Name(2, "x"))
            .Client(Rename(3, "/old", "/new"), Remove(4, "/gone"))
            .Server(Status(4, 0))
            .Play(left => left);

        AssertEvents(events,
            """{"operation":"remove","path":"/gone","status":"ok"}""",
            """{"operation":"listing","path":"/d","handle":"00000000","entries":1,"unfinished":true}""",
            """{"operation":"rename","path":"/old","new_path":"/new","unanswered":true}""");
    }

    [Test]
    public void A_path_that_is_not_utf8_keeps_its_bytes_as_escapes()
    {
        byte[] path = [.. "/tmp/caf"u8, 0xE9, .. "-é"u8];
        var events = new SftpConversation()
            .Client(new Builder(13).U32(1).Str(path).Build()).Server(Status(1, 0))
            .Play(left => left);

        Assert.That(events.Single()["path"]!.GetValue<string>(), Is.EqualTo("/tmp/caf\\xE9-é"));
    }

    [Test]
    public void A_listing_that_fails_part_way_has_that_failure()
    {
        var events = new SftpConversation()
            .Client(Opendir(1, "/d")).Server(HandleAnswer(1, Handle0))
            .Client(Readdir(2, Handle0)).Server(Name(2, "a", "b"))
            .Client(Readdir(3, Handle0)).Server(Status(3, 4, "Input/output error"))
            .Client(Close(4, Handle0)).Server(Status(4, 0))
            .Play(left => left);

        AssertEvents(events, """{"operation":"listing","path":"/d","handle":"00000000","entries":2,"status":"failure","message":"Input/output error"}""");
    }
}
