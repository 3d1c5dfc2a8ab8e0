using System.Buffers.Binary;
using System.Text;
using HoopProxy.Postgres.Masking.Copy;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Masking.Copy;

public sealed class CopyOutRewriterBinaryTests
{
    private static readonly CopyOutOptions Binary = CopyOutOptions.ForBinary();

    private static readonly byte[] Signature = [.. "PGCOPY\n"u8, 0xFF, .. "\r\n"u8, 0];

    private static byte[] Header(int flags = 0, byte[]? extension = null) =>
        [.. Signature, .. Int32(flags), .. Int32(extension?.Length ?? 0), .. extension ?? []];

    private static byte[] Trailer => Int16(-1);

    private static byte[] Int16(short value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteInt16BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>A tuple of text values; null makes a NULL field.</summary>
    private static byte[] Tuple(params string?[] fields)
    {
        var bytes = new List<byte>(Int16((short)fields.Length));
        foreach (var field in fields)
        {
            if (field is null)
            {
                bytes.AddRange(Int32(-1));
            }
            else
            {
                var value = Encoding.UTF8.GetBytes(field);
                bytes.AddRange(Int32(value.Length));
                bytes.AddRange(value);
            }
        }

        return [.. bytes];
    }

    [Test]
    public void Fields_are_masked_with_their_new_length_and_the_header_and_trailer_pass_untouched()
    {
        var masker = FakeFieldMasker.Secrets();
        byte[] data = [.. Header(), .. Tuple("1", "a SECRET value", null), .. Tuple("2", "é😀", ""), .. Trailer];

        var output = CopyRewriting.Run(Binary, masker, data);

        Assert.That(output, Is.EqualTo((byte[])[.. Header(), .. Tuple("1", "XXX", null), .. Tuple("2", "é😀", ""), .. Trailer]));
        Assert.That(masker.Seen, Is.EqualTo(new[]
        {
            new SeenField(0, "1", true), new SeenField(1, "a SECRET value", true),
            new SeenField(0, "2", true), new SeenField(1, "é😀", true), new SeenField(2, "", true),
        }));
    }

    [Test]
    public void A_null_result_writes_length_minus_one()
    {
        byte[] data = [.. Header(), .. Tuple("a", "b"), .. Trailer];

        var output = CopyRewriting.Run(Binary, FakeFieldMasker.Column(0, FakeFieldMasker.Null), data);

        Assert.That(output, Is.EqualTo((byte[])[.. Header(), .. Tuple(null, "b"), .. Trailer]));
    }

    [Test]
    public void A_header_extension_and_non_critical_flags_pass_through()
    {
        byte[] data = [.. Header(flags: 0x0000_0001, extension: [1, 2, 3]), .. Tuple("SECRET"), .. Trailer];

        var output = CopyRewriting.Run(Binary, FakeFieldMasker.Secrets(), data);

        Assert.That(output, Is.EqualTo((byte[])[.. Header(flags: 0x0000_0001, extension: [1, 2, 3]), .. Tuple("XXX"), .. Trailer]));
    }

    [Test]
    public void Tuples_split_across_messages_at_every_byte()
    {
        byte[] data = [.. Header(extension: [9]), .. Tuple("1", "SECRET é", null), .. Tuple(), .. Tuple("2", "", "SECRET"), .. Trailer];
        byte[] expected = [.. Header(extension: [9]), .. Tuple("1", "XXX", null), .. Tuple(), .. Tuple("2", "", "XXX"), .. Trailer];

        CopyRewriting.AssertEveryLayout(Binary, FakeFieldMasker.Secrets, data, expected);
    }

    [Test]
    public void Malformed_data_is_refused()
    {
        var masker = FakeFieldMasker.PassThrough();
        byte[] badSignature = [.. Header()];
        badSignature[7] = 0xFE;

        Assert.Throws<CopyFormatException>(() => CopyRewriting.Run(Binary, masker, badSignature), "signature");
        Assert.Throws<CopyFormatException>(() => CopyRewriting.Run(Binary, masker, [.. Header(flags: 1 << 16), .. Trailer]), "OIDs flag");
        Assert.Throws<CopyFormatException>(() => CopyRewriting.Run(Binary, masker, [.. Header(), .. Int16(-2)]), "field count");
        Assert.Throws<CopyFormatException>(() => CopyRewriting.Run(Binary, masker, [.. Header(), .. Int16(1), .. Int32(-5)]), "field length");
        Assert.Throws<CopyFormatException>(() => CopyRewriting.Run(Binary, masker, [.. Header(), .. Trailer, 0]), "data after the trailer");
        Assert.Throws<CopyFormatException>(() => CopyRewriting.Run(Binary, masker, [.. Header(), .. Tuple("x")]), "no trailer");
        Assert.Throws<CopyFormatException>(() => CopyRewriting.Run(Binary, masker, [.. Header(), .. Tuple("x")[..^1], .. Trailer]), "cut field");
        Assert.Throws<CopyFormatException>(() => CopyRewriting.Run(Binary, masker), "no header");
    }

    [Test]
    public void Nothing_of_a_tuple_is_written_before_it_is_complete()
    {
        using var rewriter = new CopyOutRewriter(Binary, FakeFieldMasker.PassThrough());
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        byte[] data = [.. Header(), .. Tuple("abc", "def")];

        rewriter.Rewrite(new System.Buffers.ReadOnlySequence<byte>(data[..^1]), output);

        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(Header()));
    }
}
