using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using HoopProxy.Ssh.Session;
using HoopProxy.Ssh.Sftp;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

/// <summary>SFTP v3 packets built by hand as OpenSSH sends them (length, type, id, fields), for the decoder's tests.</summary>
internal static class SftpTestPackets
{
    public static readonly byte[] Handle0 = [0, 0, 0, 0];
    public static readonly byte[] Handle1 = [0, 0, 0, 1];

    public const uint Read = 0x01, Write = 0x02, Append = 0x04, Create = 0x08, Truncate = 0x10, Exclusive = 0x20;

    public static byte[] Init() => new Builder(1).U32(3).Build();

    public static byte[] Version(uint version = 3) => new Builder(2).U32(version).Str("posix-rename@openssh.com").Str("1").Build();

    public static byte[] Open(uint id, string path, uint flags, uint? mode = null)
    {
        var builder = new Builder(3).U32(id).Str(path).U32(flags);
        return (mode is { } m ? builder.U32(0x4).U32(m) : builder.U32(0)).Build();
    }

    public static byte[] Close(uint id, byte[] handle) => new Builder(4).U32(id).Str(handle).Build();

    public static byte[] ReadRequest(uint id, byte[] handle, ulong offset, uint length) => new Builder(5).U32(id).Str(handle).U64(offset).U32(length).Build();

    public static byte[] WriteRequest(uint id, byte[] handle, ulong offset, ReadOnlySpan<byte> data) => new Builder(6).U32(id).Str(handle).U64(offset).Str(data.ToArray()).Build();

    public static byte[] Stat(uint id, string path) => new Builder(17).U32(id).Str(path).Build();

    public static byte[] Opendir(uint id, string path) => new Builder(11).U32(id).Str(path).Build();

    public static byte[] Readdir(uint id, byte[] handle) => new Builder(12).U32(id).Str(handle).Build();

    public static byte[] Remove(uint id, string path) => new Builder(13).U32(id).Str(path).Build();

    public static byte[] Mkdir(uint id, string path, uint mode) => new Builder(14).U32(id).Str(path).U32(0x4).U32(mode).Build();

    public static byte[] Rmdir(uint id, string path) => new Builder(15).U32(id).Str(path).Build();

    public static byte[] Rename(uint id, string from, string to) => new Builder(18).U32(id).Str(from).Str(to).Build();

    /// <summary>OpenSSH's order: the link's target first, then the link's own path.</summary>
    public static byte[] Symlink(uint id, string target, string link) => new Builder(20).U32(id).Str(target).Str(link).Build();

    public static byte[] Setstat(uint id, string path, Func<Builder, Builder> attributes) => attributes(new Builder(9).U32(id).Str(path)).Build();

    public static byte[] Fsetstat(uint id, byte[] handle, Func<Builder, Builder> attributes) => attributes(new Builder(10).U32(id).Str(handle)).Build();

    public static byte[] Extended(uint id, string name, Func<Builder, Builder> fields) => fields(new Builder(200).U32(id).Str(name)).Build();

    public static byte[] Status(uint id, uint code, string message = "") => new Builder(101).U32(id).U32(code).Str(message).Str("").Build();

    public static byte[] HandleAnswer(uint id, byte[] handle) => new Builder(102).U32(id).Str(handle).Build();

    public static byte[] DataAnswer(uint id, ReadOnlySpan<byte> data) => new Builder(103).U32(id).Str(data.ToArray()).Build();

    /// <summary>A NAME answer with <paramref name="names"/> (long names and empty attributes as the decoder does not read them).</summary>
    public static byte[] Name(uint id, params string[] names)
    {
        var builder = new Builder(104).U32(id).U32((uint)names.Length);
        foreach (var name in names)
        {
            builder.Str(name).Str("-rw-r--r--    1 u g 0 Jan  1 00:00 " + name).U32(0);
        }

        return builder.Build();
    }

    public static byte[] Attrs(uint id) => new Builder(105).U32(id).U32(0x1).U64(42).Build();

    public static byte[] Concat(params byte[][] packets) => [.. packets.SelectMany(p => p)];

    public sealed class Builder(byte type)
    {
        private readonly List<byte> _bytes = [type];

        public Builder U32(uint value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
            _bytes.AddRange(bytes);
            return this;
        }

        public Builder U64(ulong value)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
            _bytes.AddRange(bytes);
            return this;
        }

        public Builder Str(string text) => Str(Encoding.UTF8.GetBytes(text));

        public Builder Str(byte[] bytes)
        {
            U32((uint)bytes.Length);
            _bytes.AddRange(bytes);
            return this;
        }

        public byte[] Build()
        {
            var packet = new byte[4 + _bytes.Count];
            BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)_bytes.Count);
            _bytes.CopyTo(packet, 4);
            return packet;
        }
    }
}

/// <summary>
/// A conversation fed to a real <see cref="SftpObserver"/>: each turn is the bytes one side sends before the other
/// answers, cut into CHANNEL_DATA payloads of the sizes a test chooses, and the events it records.
/// </summary>
internal sealed class SftpConversation
{
    private readonly List<(bool FromClient, byte[] Bytes)> _turns = [];

    public SftpConversation Client(params byte[][] packets)
    {
        _turns.Add((true, SftpTestPackets.Concat(packets)));
        return this;
    }

    public SftpConversation Server(params byte[][] packets)
    {
        _turns.Add((false, SftpTestPackets.Concat(packets)));
        return this;
    }

    /// <summary>Plays the turns through a new observer in payloads of <paramref name="cut"/>'s sizes; closes it when asked.</summary>
    public List<JsonObject> Play(Func<int, int> cut, bool close = true) => Play(new SftpObserver(), cut, close);

    public List<JsonObject> Play(IChannelObserver observer, Func<int, int> cut, bool close = true)
    {
        var observations = new List<ChannelObservation>();
        foreach (var (fromClient, bytes) in _turns)
        {
            for (var at = 0; at < bytes.Length;)
            {
                var size = Math.Clamp(cut(bytes.Length - at), 1, bytes.Length - at);
                observer.OnData(fromClient, bytes.AsSpan(at, size), observations);
                at += size;
            }
        }

        if (close)
        {
            observer.OnClose(observations);
        }

        Assert.That(observations.Select(o => o.Event), Is.All.EqualTo("sftp"));
        Assert.That(observations.Select(o => o.EndSession), Is.All.Null, "the decoder never ends a session");
        return [.. observations.Select(o => o.Fields)];
    }

    /// <summary>The ways a stream is cut into payloads: whole turns, one byte at a time, and sizes that fall inside fields.</summary>
    public static IEnumerable<TestCaseData> Cuts()
    {
        yield return new TestCaseData((Func<int, int>)(left => left)).SetArgDisplayNames("whole turns");
        yield return new TestCaseData((Func<int, int>)(_ => 1)).SetArgDisplayNames("one byte at a time");
        yield return new TestCaseData((Func<int, int>)(_ => 7)).SetArgDisplayNames("7 bytes");
        yield return new TestCaseData((Func<int, int>)(_ => 4093)).SetArgDisplayNames("4093 bytes");
        var random = new Random(20260101);
        yield return new TestCaseData((Func<int, int>)(_ => random.Next(1, 40_000))).SetArgDisplayNames("random sizes");
    }
}

/// <summary>The test packets themselves are what the draft says (so the decoder's tests test the decoder).</summary>
[TestFixture]
public sealed class SftpTestPacketsTests
{
    [Test]
    public void A_write_is_length_type_id_handle_offset_and_data()
    {
        var packet = SftpTestPackets.WriteRequest(7, SftpTestPackets.Handle0, 0x0102030405060708, [0xAA, 0xBB]);
        Assert.That(packet, Is.EqualTo(new byte[]
        {
            0, 0, 0, 27, 6, 0, 0, 0, 7, 0, 0, 0, 4, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 2, 0xAA, 0xBB,
        }));
    }
}
