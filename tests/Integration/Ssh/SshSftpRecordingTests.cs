using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;
using Renci.SshNet;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// SFTP through the recording proxy with OpenSSH's own clients against a real sshd (internal-sftp): each operation of
/// an <c>sftp -b</c> batch is one sftp event with its paths, bytes and the SHA-256 of each whole file as the file
/// really is; scp in its default (SFTP) mode is recorded the same way, and <c>scp -O</c> as the exec it runs; a 1 GiB
/// file goes up and comes back intact with the recorded hash equal to the file's; <c>hoopproxy sessions show</c>
/// lists the operations.
/// </summary>
[TestFixture]
public sealed class SshSftpRecordingTests : RecordedSshProxyFixture
{
    private static readonly string Hoopproxy = Path.Combine(AppContext.BaseDirectory, "hoopproxy.dll");

    private DirectoryInfo _folder = null!;

    [OneTimeSetUp]
    public void CreateFolders() => _folder = Directory.CreateTempSubdirectory("hoopproxy-sftp-recording-");

    [OneTimeTearDown]
    public void DeleteFolders() => _folder.Delete(recursive: true);

    private string Login => $"{SshProxyInstance.UserName}@127.0.0.1";

    /// <summary>The fixture's ssh options without "-p PORT" (scp and sftp spell the port -P).</summary>
    private List<string> OptionsForScpAndSftp()
    {
        var options = Proxy.SshOptions().ToList();
        var port = options.IndexOf("-p");
        options.RemoveRange(port, 2);
        return ["-P", Proxy.Port.ToString(CultureInfo.InvariantCulture), .. options];
    }

    private async Task<ExternalProcess.Result> SftpBatchAsync(string commands, TimeSpan? timeout = null)
    {
        var batch = Path.Combine(_folder.FullName, $"batch-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(batch, commands);
        var sftp = await ExternalProcess.RunAsync("sftp", [.. OptionsForScpAndSftp(), "-b", batch, Login],
            standardInput: "", timeout: timeout ?? TimeSpan.FromSeconds(60));
        Assert.That(sftp.ExitCode, Is.Zero, sftp.Combined);
        return sftp;
    }

    private async Task ScpAsync(params string[] arguments)
    {
        var scp = await ExternalProcess.RunAsync("scp", [.. OptionsForScpAndSftp(), .. arguments], standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(scp.ExitCode, Is.Zero, scp.Combined);
    }

    /// <summary>The sftp events of a session, each without the fields a test cannot know in advance (the channel, the handle).</summary>
    private static List<JsonObject> SftpEvents(IEnumerable<SessionRecord> records) =>
        [.. records.Where(r => r.EventType == "sftp").Select(r => r.Fields!)];

    private static List<string> Comparable(IEnumerable<JsonObject> events) =>
        [.. events.Select(e =>
        {
            var copy = e.DeepClone().AsObject();
            copy.Remove("channel");
            copy.Remove("handle");
            return copy.ToJsonString();
        })];

    private static string Json(string json) => JsonNode.Parse(json)!.ToJsonString();

    private static string FileSha256(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    /// <summary>Each close names the handle its open was given.</summary>
    private static void AssertHandlesPair(List<JsonObject> events)
    {
        var open = new Dictionary<string, string>();
        foreach (var e in events)
        {
            var operation = e["operation"]!.GetValue<string>();
            if (operation == "open")
            {
                open[e["handle"]!.GetValue<string>()] = e["path"]!.GetValue<string>();
            }
            else if (operation == "close")
            {
                Assert.That(open.Remove(e["handle"]!.GetValue<string>(), out var path), Is.True, e.ToJsonString());
                Assert.That(path, Is.EqualTo(e["path"]!.GetValue<string>()));
            }
        }

        Assert.That(open, Is.Empty, "every file opened was closed");
    }

    [Test]
    public async Task An_sftp_batch_is_recorded_operation_by_operation_and_shown()
    {
        var local = Path.Combine(_folder.FullName, "report.bin");
        var sha256 = SshBulkTransferTests.WriteRandomFile(local, 300_000);
        var back = Path.Combine(_folder.FullName, "report-back.bin");
        var directory = $"/tmp/hoopproxy-sftp-{Guid.NewGuid():N}";

        var session = (await NewSealedSessionsAsync(() => SftpBatchAsync(
            $"""
            mkdir {directory}
            put {local} {directory}/report.bin
            get {directory}/report.bin {back}
            ls {directory}
            rename {directory}/report.bin {directory}/renamed.bin
            chmod 600 {directory}/renamed.bin
            rm {directory}/renamed.bin
            rmdir {directory}

            """))).Single();
        var records = Records(session);

        Assert.That(FileSha256(back), Is.EqualTo(sha256), "the file came back intact");
        var events = SftpEvents(records);
        Assert.That(events.Select(e => e["channel"]!.GetValue<int>()), Is.All.EqualTo(0));
        AssertHandlesPair(events);
        // What OpenSSH 9.2's sftp sends for these commands (its stat and realpath lookups are not recorded); "ls" opens
        // the directory with a trailing slash and lists ".", ".." and the file.
        Assert.That(Comparable(events), Is.EqualTo(new[]
        {
            Json($$"""{"operation":"mkdir","path":"{{directory}}","attributes":{"mode":"0777"},"status":"ok"}"""),
            Json($$"""{"operation":"open","path":"{{directory}}/report.bin","flags":["write","create","truncate"],"attributes":{"mode":"0644"},"status":"ok"}"""),
            Json($$"""{"operation":"close","path":"{{directory}}/report.bin","flags":["write","create","truncate"],"bytes_read":0,"bytes_written":300000,"sha256":"{{sha256}}","status":"ok"}"""),
            Json($$"""{"operation":"open","path":"{{directory}}/report.bin","flags":["read"],"status":"ok"}"""),
            Json($$"""{"operation":"close","path":"{{directory}}/report.bin","flags":["read"],"bytes_read":300000,"bytes_written":0,"sha256":"{{sha256}}","status":"ok"}"""),
            Json($$"""{"operation":"listing","path":"{{directory}}/","entries":3,"status":"ok"}"""),
            Json($$"""{"operation":"rename","path":"{{directory}}/report.bin","new_path":"{{directory}}/renamed.bin","extension":"posix-rename@openssh.com","status":"ok"}"""),
            Json($$"""{"operation":"setstat","path":"{{directory}}/renamed.bin","attributes":{"mode":"0600"},"status":"ok"}"""),
            Json($$"""{"operation":"remove","path":"{{directory}}/renamed.bin","status":"ok"}"""),
            Json($$"""{"operation":"rmdir","path":"{{directory}}","status":"ok"}"""),
        }));

        var show = await ShowAsync(session.SessionId);
        Assert.That(show, Does.Contain($"channel 0: subsystem sftp"));
        Assert.That(show, Does.Contain($"channel 0: sftp mkdir {directory} (mode 0777)"));
        Assert.That(show, Does.Contain($"channel 0: sftp write {directory}/report.bin: 300000 bytes, sha256 {sha256}"));
        Assert.That(show, Does.Contain($"channel 0: sftp read {directory}/report.bin: 300000 bytes, sha256 {sha256}"));
        Assert.That(show, Does.Contain($"channel 0: sftp list {directory}/: 3 entries"));
        Assert.That(show, Does.Contain($"channel 0: sftp rename {directory}/report.bin to {directory}/renamed.bin"));
        Assert.That(show, Does.Contain($"channel 0: sftp setstat {directory}/renamed.bin: mode 0600"));
        Assert.That(show, Does.Contain($"channel 0: sftp remove {directory}/renamed.bin"));
        Assert.That(show, Does.Contain($"channel 0: sftp rmdir {directory}"));
    }

    [Test]
    public async Task Scp_in_its_default_sftp_mode_is_recorded_as_sftp_both_ways()
    {
        var local = Path.Combine(_folder.FullName, "scp-up.bin");
        var sha256 = SshBulkTransferTests.WriteRandomFile(local, 1_000_000);
        var remote = $"/tmp/hoopproxy-scp-{Guid.NewGuid():N}.bin";
        var back = Path.Combine(_folder.FullName, "scp-down.bin");

        var up = SftpEvents(await RecordsOfNewSessionAsync(() => ScpAsync(local, $"{Login}:{remote}")));
        var down = SftpEvents(await RecordsOfNewSessionAsync(() => ScpAsync($"{Login}:{remote}", back)));
        await Proxy.RunSshAsync($"rm -f {remote}");

        Assert.That(FileSha256(back), Is.EqualTo(sha256));
        AssertHandlesPair(up);
        AssertHandlesPair(down);
        // scp writes in place (no truncate on open) and cuts the file at the written size at the end.
        Assert.That(Comparable(up), Is.EqualTo(new[]
        {
            Json($$"""{"operation":"open","path":"{{remote}}","flags":["write","create"],"attributes":{"mode":"0644"},"status":"ok"}"""),
            Json($$"""{"operation":"fsetstat","path":"{{remote}}","attributes":{"size":1000000},"status":"ok"}"""),
            Json($$"""{"operation":"close","path":"{{remote}}","flags":["write","create"],"bytes_read":0,"bytes_written":1000000,"sha256":"{{sha256}}","status":"ok"}"""),
        }));
        Assert.That(Comparable(down), Is.EqualTo(new[]
        {
            Json($$"""{"operation":"open","path":"{{remote}}","flags":["read"],"status":"ok"}"""),
            Json($$"""{"operation":"close","path":"{{remote}}","flags":["read"],"bytes_read":1000000,"bytes_written":0,"sha256":"{{sha256}}","status":"ok"}"""),
        }));
    }

    [Test]
    public async Task Scp_in_its_original_mode_is_recorded_as_the_exec_it_runs_both_ways()
    {
        var local = Path.Combine(_folder.FullName, "scp-o-up.bin");
        var sha256 = SshBulkTransferTests.WriteRandomFile(local, 1_000_000);
        var remote = $"/tmp/hoopproxy-scp-o-{Guid.NewGuid():N}.bin";
        var back = Path.Combine(_folder.FullName, "scp-o-down.bin");

        var up = await RecordsOfNewSessionAsync(() => ScpAsync("-O", local, $"{Login}:{remote}"));
        var down = await RecordsOfNewSessionAsync(() => ScpAsync("-O", $"{Login}:{remote}", back));
        var onTarget = await Proxy.RunSshAsync($"sha256sum {remote} && rm -f {remote}");

        Assert.That(onTarget.StandardOutput.Split(' ')[0], Is.EqualTo(sha256), onTarget.Combined);
        Assert.That(FileSha256(back), Is.EqualTo(sha256));
        static IEnumerable<string> Commands(List<SessionRecord> records) =>
            records.Where(r => r.EventType == "channel-request" && r.Fields!["request"]!.GetValue<string>() == "exec").Select(r => r.Fields!["command"]!.GetValue<string>());
        Assert.That(Commands(up), Is.EqualTo(new[] { $"scp -t {remote}" }));
        Assert.That(Commands(down), Is.EqualTo(new[] { $"scp -f {remote}" }));
        Assert.That(SftpEvents(up).Concat(SftpEvents(down)), Is.Empty, "no sftp subsystem was involved");
    }

    /// <summary>Another client's way of moving files (SSH.NET's SftpClient) is recorded with the same hashes.</summary>
    [Test]
    public async Task SshNet_SftpClient_uploads_and_downloads_are_recorded_with_the_files_sha256()
    {
        var content = RandomNumberGenerator.GetBytes(3_000_000);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        var remote = $"/tmp/hoopproxy-sshnet-{Guid.NewGuid():N}.bin";
        byte[] downloaded = [];

        var events = SftpEvents(await RecordsOfNewSessionAsync(() =>
        {
            using var client = new SftpClient(new ConnectionInfo("127.0.0.1", Proxy.Port, SshProxyInstance.UserName,
                new PrivateKeyAuthenticationMethod(SshProxyInstance.UserName, new PrivateKeyFile(Proxy.ClientKeyFile))));
            client.HostKeyReceived += (_, e) => e.CanTrust = "SHA256:" + e.FingerPrintSHA256 == Proxy.HostKeyFingerprint;
            client.Connect();
            using (var upload = new MemoryStream(content))
            {
                client.UploadFile(upload, remote);
            }

            using var download = new MemoryStream();
            client.DownloadFile(remote, download);
            downloaded = download.ToArray();
            client.DeleteFile(remote);
            client.Disconnect();
            return Task.CompletedTask;
        }));

        Assert.That(downloaded, Is.EqualTo(content));
        AssertHandlesPair(events);
        var closes = events.Where(e => e["operation"]!.GetValue<string>() == "close").ToList();
        Assert.That(closes.Select(e => (e["path"]!.GetValue<string>(), e["bytes_written"]!.GetValue<long>(), e["bytes_read"]!.GetValue<long>(), e["sha256"]?.GetValue<string>())),
            Is.EqualTo(new[] { (remote, 3_000_000L, 0L, sha256), (remote, 0L, 3_000_000L, sha256) }), string.Join("\n", events.Select(e => e.ToJsonString())));
        Assert.That(events[^1].ToJsonString(), Is.EqualTo(new JsonObject { ["operation"] = "remove", ["path"] = remote, ["status"] = "ok", ["channel"] = events[^1]["channel"]!.GetValue<int>() }.ToJsonString()));
    }

    /// <summary>
    /// The data path at size: a 1 GiB file of random bytes up and back down in one sftp session. Both copies are
    /// intact, and both close events carry the file's real SHA-256 (the record's data records are read one at a
    /// time and not kept: the session holds the 2 GiB that passed).
    /// </summary>
    [Test]
    public async Task A_gibibyte_goes_up_and_comes_back_intact_with_the_recorded_sha256_equal_to_the_files()
    {
        const int size = 1 << 30;
        var local = Path.Combine(_folder.FullName, "gibibyte.bin");
        var back = Path.Combine(_folder.FullName, "gibibyte-back.bin");
        var remote = $"/tmp/hoopproxy-sftp-gibibyte-{Guid.NewGuid():N}.bin";
        try
        {
            var sha256 = SshBulkTransferTests.WriteRandomFile(local, size);
            var session = (await NewSealedSessionsAsync(() => SftpBatchAsync($"put {local} {remote}\nget {remote} {back}\nrm {remote}\n",
                timeout: TimeSpan.FromMinutes(10)))).Single();

            Assert.That(new FileInfo(back).Length, Is.EqualTo(size));
            Assert.That(FileSha256(back), Is.EqualTo(sha256), "the file came back intact");
            var events = Store.OpenSession(session.SessionId).ReadRecords().Where(r => r.EventType == "sftp").Select(r => r.Fields!).ToList();
            Assert.That(Comparable(events), Is.EqualTo(new[]
            {
                Json($$"""{"operation":"open","path":"{{remote}}","flags":["write","create","truncate"],"attributes":{"mode":"0644"},"status":"ok"}"""),
                Json($$"""{"operation":"close","path":"{{remote}}","flags":["write","create","truncate"],"bytes_read":0,"bytes_written":{{size}},"sha256":"{{sha256}}","status":"ok"}"""),
                Json($$"""{"operation":"open","path":"{{remote}}","flags":["read"],"status":"ok"}"""),
                Json($$"""{"operation":"close","path":"{{remote}}","flags":["read"],"bytes_read":{{size}},"bytes_written":0,"sha256":"{{sha256}}","status":"ok"}"""),
                Json($$"""{"operation":"remove","path":"{{remote}}","status":"ok"}"""),
            }));
        }
        finally
        {
            File.Delete(local);
            File.Delete(back);
            await Proxy.RunSshAsync($"rm -f {remote}");
        }
    }

    /// <summary>
    /// <c>hoopproxy sessions show ID</c> on this fixture's store, as a person runs it; its standard output. (The
    /// configuration needs a listener to load; show reads only its Recording section.)
    /// </summary>
    private async Task<string> ShowAsync(string sessionId)
    {
        var config = Path.Combine(_folder.FullName, "hoopproxy.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "Postgres": { "Listen": "127.0.0.1:0", "Targets": { "bank": { "Host": "127.0.0.1", "Database": "bank", "Username": "app" } } },
              "Recording": { "Directory": "{{Store.Options.Directory}}", "SigningKeyFile": "{{Store.Options.SigningKeyFile}}" }
            }
            """);
        var show = await ExternalProcess.RunAsync("dotnet", [Hoopproxy, "sessions", "show", sessionId, "--config", config], timeout: TimeSpan.FromMinutes(1));
        Assert.That(show.ExitCode, Is.Zero, show.Combined);
        Assert.That(show.StandardError, Is.Empty, "a session that verifies has no warning");
        return show.StandardOutput;
    }
}
