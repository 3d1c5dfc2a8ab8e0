using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Sessions;
using HoopProxy.Host.Sessions.Ssh;
using HoopProxy.Tests.Unit.Recording;
using HoopProxy.Tests.Unit.Sessions;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

/// <summary><c>sessions show</c> of recorded sftp events: one sentence per operation, its outcome when not plain success.</summary>
[TestFixture]
public sealed class SftpTimelineTextTests
{
    private const string Hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    [Test]
    public async Task Each_sftp_event_reads_as_a_sentence()
    {
        string[] events =
        [
            """{"operation":"open","path":"/tmp/x.bin","flags":["write","create","truncate"],"attributes":{"mode":"0644"},"status":"ok","handle":"00000000"}""",
            $$"""{"operation":"close","path":"/tmp/x.bin","handle":"00000000","flags":["write","create","truncate"],"bytes_read":0,"bytes_written":1073741824,"sha256":"{{Hash}}","status":"ok"}""",
            $$"""{"operation":"close","path":"/tmp/y","handle":"00000000","flags":["read"],"bytes_read":4,"bytes_written":0,"sha256":"{{Hash}}","status":"ok"}""",
            """{"operation":"close","path":"/tmp/z","handle":"00000000","flags":["write","create","truncate"],"bytes_read":0,"bytes_written":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","status":"ok"}""",
            """{"operation":"close","path":"/tmp/w","handle":"00000000","flags":["write","create"],"bytes_read":0,"bytes_written":10,"sha256":null,"sha256_unavailable":"opened without truncate and not cut to the written size: the file may hold more than was written","status":"ok"}""",
            """{"operation":"close","path":"/tmp/rw","handle":"00000000","flags":["read","write"],"bytes_read":3,"bytes_written":5,"sha256":null,"sha256_unavailable":"read and written through the same handle","status":"ok"}""",
            """{"operation":"close","path":"/tmp/r","handle":"00000000","flags":["read"],"bytes_read":0,"bytes_written":0,"status":"ok"}""",
            """{"operation":"close","path":"/tmp/big","handle":"00000001","flags":["write","create","truncate"],"bytes_read":0,"bytes_written":100,"sha256":null,"sha256_unavailable":"the file was still open when the channel closed","unfinished":true}""",
            $$"""{"operation":"close","path":"/tmp/read","handle":"00000002","flags":["read"],"bytes_read":4,"bytes_written":0,"sha256":"{{Hash}}","unfinished":true}""",
            """{"operation":"listing","path":"/home/u","handle":"00000000","entries":5,"status":"ok"}""",
            """{"operation":"listing","path":"/var/log","handle":"00000002","entries":120,"unfinished":true}""",
            """{"operation":"listing","path":"/root","status":"permission-denied","message":"Permission denied"}""",
            """{"operation":"rename","path":"/a","new_path":"/b","extension":"posix-rename@openssh.com","status":"ok"}""",
            """{"operation":"symlink","path":"/l","target":"/etc/hosts","status":"ok"}""",
            """{"operation":"hardlink","path":"/c","target":"/b","extension":"hardlink@openssh.com","status":"ok"}""",
            """{"operation":"setstat","path":"/f","attributes":{"mode":"0600","mtime":"2023-11-14T22:14:20Z"},"status":"ok"}""",
            """{"operation":"fsetstat","path":"/t","handle":"00000000","attributes":{"size":50},"status":"ok"}""",
            """{"operation":"mkdir","path":"/d","attributes":{"mode":"0755"},"status":"ok"}""",
            """{"operation":"rmdir","path":"/d","status":"ok"}""",
            """{"operation":"remove","path":"/etc/passwd","status":"permission-denied","message":"Permission denied"}""",
            """{"operation":"remove","path":"/x\n+   9.000s  channel 0: sftp remove /nothing","status":"ok"}""",
            """{"operation":"rename","path":"/old","new_path":"/new","unanswered":true}""",
            """{"operation":"copy","path":"/src","offset":0,"length":0,"destination":"/dst","destination_offset":0,"extension":"copy-data","status":"ok"}""",
            """{"operation":"extension","extension":"check-file-name","status":"ok"}""",
            """{"operation":"decoding-stopped","from":"client","reason":"a packet of length 0 (it has no type)"}""",
        ];

        using var fixture = new RecordingFixture();
        await using (var store = await fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "sftp");
            foreach (var fields in events)
            {
                var json = JsonNode.Parse(fields)!.AsObject();
                json["channel"] = 0;
                await ssh.EventAsync("sftp", json);
            }

            await ssh.CompleteAsync();
        }

        using var output = new StringWriter();
        new SshTimelineText(output, new ConsoleStyle(false)).Write(new RecordingReader(fixture.SessionPath("sftp")).ReadRecords());
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)
            .Select(l => Regex.Replace(l, @"^\+ *[0-9.]+s  ", "")).Skip(2).ToList();

        Assert.That(lines, Is.EqualTo(new[]
        {
            "channel 0: sftp open /tmp/x.bin (write, create, truncate, mode 0644)",
            $"channel 0: sftp write /tmp/x.bin: 1073741824 bytes, sha256 {Hash}",
            $"channel 0: sftp read /tmp/y: 4 bytes, sha256 {Hash}",
            "channel 0: sftp write /tmp/z: 0 bytes, sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "channel 0: sftp write /tmp/w: 10 bytes, no sha256: opened without truncate and not cut to the written size: the file may hold more than was written",
            "channel 0: sftp read and write /tmp/rw: 3 bytes read, 5 written, no sha256: read and written through the same handle",
            "channel 0: sftp close /tmp/r (nothing read or written)",
            "channel 0: sftp write /tmp/big: 100 bytes so far, unfinished: the channel closed with it still open",
            $"channel 0: sftp read /tmp/read: 4 bytes, sha256 {Hash}, unfinished: the channel closed with it still open",
            "channel 0: sftp list /home/u: 5 entries",
            "channel 0: sftp list /var/log: 120 entries, unfinished: the channel closed with it still open",
            "channel 0: sftp list /root: permission-denied: Permission denied",
            "channel 0: sftp rename /a to /b",
            "channel 0: sftp symlink /l -> /etc/hosts",
            "channel 0: sftp hardlink /c -> /b",
            "channel 0: sftp setstat /f: mode 0600, mtime 2023-11-14T22:14:20Z",
            "channel 0: sftp fsetstat /t: size 50",
            "channel 0: sftp mkdir /d (mode 0755)",
            "channel 0: sftp rmdir /d",
            "channel 0: sftp remove /etc/passwd: permission-denied: Permission denied",
            "channel 0: sftp remove /x\\x0A+   9.000s  channel 0: sftp remove /nothing",
            "channel 0: sftp rename /old to /new: no answer before the channel closed",
            "channel 0: sftp copy /src from offset 0 to /dst at 0, to the end",
            "channel 0: sftp extension check-file-name",
            "channel 0: sftp decoding stopped at the client's bytes: a packet of length 0 (it has no type)",
        }));
    }
}
