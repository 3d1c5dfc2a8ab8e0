using System.Buffers;
using System.Text;
using HoopProxy.Host.Demo;
using HoopProxy.Postgres.Protocol.Frontend;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// Corners of the extended protocol and the fast path that ORMs and libpq use but psql's -c does not:
/// Flush without Sync, an error skipping to Sync in a pipeline, and FunctionCall (libpq's large-object API).
/// </summary>
public sealed class ExtendedProtocolTests
{
    private static byte[] Build(Action<ArrayBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Test]
    public async Task Flush_without_Sync_gets_the_answers_so_far_and_Sync_then_closes_the_batch()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        await using var client = await RawPostgresClient.ConnectAsync(proxy.Port);
        await client.LoginAsync(ProxyInstance.UserName, ProxyInstance.UserPassword, TestCluster.TargetDatabase);

        await client.SendAsync(Build(b =>
        {
            Parse.Write(b, "s1", "SELECT $1::int * 2", []);
            Flush.Write(b);
        }));
        Assert.That((char)(await client.ReadMessageAsync())!.Code, Is.EqualTo('1'), "ParseComplete arrives on Flush, before any Sync");

        await client.SendAsync(Build(b =>
        {
            Bind.Write(b, "", "s1", [], [Encoding.UTF8.GetBytes("21")], []);
            Execute.Write(b, "", 0);
            Flush.Write(b);
        }));
        Assert.That((char)(await client.ReadMessageAsync())!.Code, Is.EqualTo('2'));
        var row = await client.ReadMessageAsync();
        Assert.That((char)row!.Code, Is.EqualTo('D'));
        Assert.That(Encoding.UTF8.GetString(row.Body, 6, row.Body.Length - 6), Is.EqualTo("42"));
        Assert.That((char)(await client.ReadMessageAsync())!.Code, Is.EqualTo('C'));

        await client.SendAsync(Build(Sync.Write));
        Assert.That((char)(await client.ReadMessageAsync())!.Code, Is.EqualTo('Z'));
    }

    [Test]
    public async Task An_error_in_a_pipeline_skips_to_Sync_and_the_next_batch_runs()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        await using var client = await RawPostgresClient.ConnectAsync(proxy.Port);
        await client.LoginAsync(ProxyInstance.UserName, ProxyInstance.UserPassword, TestCluster.TargetDatabase);

        await client.SendAsync(Build(b =>
        {
            Parse.Write(b, "", "SELECT 1/0", []);
            Bind.Write(b, "", "", [], [], []);
            Execute.Write(b, "", 0);
            Parse.Write(b, "", "SELECT 'skipped'", []);
            Bind.Write(b, "", "", [], [], []);
            Execute.Write(b, "", 0);
            Sync.Write(b);
            Parse.Write(b, "", "SELECT 'after'", []);
            Bind.Write(b, "", "", [], [], []);
            Execute.Write(b, "", 0);
            Sync.Write(b);
        }));

        var codes = new StringBuilder();
        RawMessage? error = null;
        for (var ready = 0; ready < 2;)
        {
            var message = await client.ReadMessageAsync() ?? throw new InvalidDataException("closed early");
            codes.Append((char)message.Code);
            error ??= message.Code == 'E' ? message : null;
            ready += message.Code == 'Z' ? 1 : 0;
        }

        // Parse succeeds; planning at Bind folds 1/0 and fails; everything up to Sync is skipped (no
        // ParseComplete for the second Parse); the next batch runs whole.
        Assert.That(codes.ToString(), Is.EqualTo("1EZ12DCZ"));
        Assert.That(error!.ErrorFields()['C'], Is.EqualTo("22012"));
    }

    [Test]
    public async Task Large_objects_through_libpq_use_FunctionCall_and_round_trip()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        var folder = Directory.CreateTempSubdirectory("hoopproxy-lo-").FullName;
        try
        {
            var original = Path.Combine(folder, "in.bin");
            var copy = Path.Combine(folder, "out.bin");
            var bytes = new byte[300_000];
            new Random(7).NextBytes(bytes);
            await File.WriteAllBytesAsync(original, bytes);

            // psql's \lo_import and \lo_export call lo_open/lowrite/loread through PQfn: FunctionCall messages.
            var import = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", $"\\lo_import '{original}'"], proxy.LibpqEnvironment());
            Assert.That(import.ExitCode, Is.Zero, import.Combined);
            var oid = import.StandardOutput.Trim().Split(' ')[^1];
            var export = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", $"\\lo_export {oid} '{copy}'", "-c", $"SELECT lo_unlink({oid})"], proxy.LibpqEnvironment());
            Assert.That(export.ExitCode, Is.Zero, export.Combined);

            Assert.That(await File.ReadAllBytesAsync(copy), Is.EqualTo(bytes));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
