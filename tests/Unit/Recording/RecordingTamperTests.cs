using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using HoopProxy.Core.Recording;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Recording;

/// <summary>Every kind of tampering the issue lists is detected, and the report names the file, record and offset.</summary>
[TestFixture(RecordingCompression.None)]
[TestFixture(RecordingCompression.Zstd)]
public sealed class RecordingTamperTests(RecordingCompression compression)
{
    private RecordingFixture _fixture = null!;
    private string _path = null!;
    private List<(long Number, long Offset, long End, RecordType Type)> _records = null!;

    [SetUp]
    public async Task WriteThreeSessions()
    {
        _fixture = new RecordingFixture(compression);
        await using (var store = await _fixture.OpenAsync())
        {
            await RecordingFixture.WriteShortSessionAsync(store, "first");
            await RecordingFixture.WriteShortSessionAsync(store, "middle");
            await RecordingFixture.WriteShortSessionAsync(store, "last");
        }

        _path = _fixture.SessionPath("middle");
        _records = [];
        using var scanner = new RecordScanner(_path);
        while (scanner.TryReadNext(out var r))
        {
            _records.Add((r.Number, r.Offset, r.End, r.Header.Type));
        }

        Assert.That(_records.Select(r => r.Type), Is.EqualTo(new[] { RecordType.Start, RecordType.Data, RecordType.Event, RecordType.Data, RecordType.End, RecordType.Seal }));
        Assert.That(Verify().IsValid, Is.True, Verify().ToString());
    }

    [TearDown]
    public void TearDown() => _fixture.Dispose();

    private VerificationReport Verify() => _fixture.Verifier().VerifyDirectory(_fixture.Options.Directory);

    private (long Number, long Offset, long End, RecordType Type) Record(RecordType type) => _records.First(r => r.Type == type);

    private static void Flip(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ 0x20));
    }

    private static void AssertNames(VerificationReport report, string file, long record, long offset)
    {
        Assert.That(report.IsValid, Is.False);
        var first = report.Problems.First(p => p.File == file);
        Assert.That((first.Record, first.Offset), Is.EqualTo(((long?)record, (long?)offset)), report.ToString());
    }

    private static IEnumerable<long> Spread(long from, long to, int count) =>
        Enumerable.Range(0, count).Select(i => from + (to - from - 1) * i / Math.Max(1, count - 1)).Distinct();

    [Test]
    public void A_flipped_byte_in_the_start_record_is_named()
    {
        var start = Record(RecordType.Start);
        foreach (var offset in Spread(start.Offset, start.End, 12))
        {
            Flip(_path, offset);
            AssertNames(Verify(), _path, 0, start.Offset);
            Flip(_path, offset);
        }
    }

    [Test]
    public void A_flipped_byte_in_a_data_payload_is_a_hash_mismatch_of_that_record()
    {
        var data = _records.Last(r => r.Type == RecordType.Data);
        var payloadStart = data.Offset + RecordingFormat.RecordHeaderSize;
        foreach (var offset in Spread(payloadStart, data.End - RecordingFormat.HashSize, 10))
        {
            Flip(_path, offset);
            var report = Verify();
            AssertNames(report, _path, data.Number, data.Offset);
            Assert.That(report.Problems.First().Kind, Is.EqualTo(ProblemKind.HashMismatch));
            Flip(_path, offset);
        }
    }

    [Test]
    public void A_flipped_byte_in_a_stored_hash_is_named()
    {
        foreach (var record in _records)
        {
            foreach (var offset in Spread(record.End - RecordingFormat.HashSize, record.End, 4))
            {
                Flip(_path, offset);
                var report = Verify();
                AssertNames(report, _path, record.Number, record.Offset);
                Assert.That(report.Problems.First().Kind, Is.EqualTo(ProblemKind.HashMismatch));
                Flip(_path, offset);
            }
        }
    }

    [Test]
    public void A_flipped_byte_in_the_seal_signature_fails_the_signature()
    {
        var seal = Record(RecordType.Seal);
        foreach (var offset in Spread(seal.End - RecordingFormat.HashSize - RecordingFormat.SignatureSize, seal.End - RecordingFormat.HashSize, 8))
        {
            Flip(_path, offset);
            var report = Verify();
            AssertNames(report, _path, seal.Number, seal.Offset);
            Assert.That(report.Problems.Select(p => p.Kind), Does.Contain(ProblemKind.SignatureInvalid));
            Flip(_path, offset);
        }
    }

    [Test]
    public void Every_single_byte_flip_anywhere_in_the_file_is_detected()
    {
        var length = new FileInfo(_path).Length;
        for (long offset = 0; offset < length; offset++)
        {
            Flip(_path, offset);
            var report = Verify();
            Assert.That(report.Problems.Any(p => p.File == _path), Is.True, $"flip at {offset} went unnoticed");
            Flip(_path, offset);
        }

        Assert.That(Verify().IsValid, Is.True);
    }

    [Test]
    public void Truncation_inside_a_record_is_reported_at_that_record()
    {
        var data = Record(RecordType.Data);
        using (var file = new FileStream(_path, FileMode.Open))
        {
            file.SetLength(data.Offset + 10);
        }

        var report = Verify();
        var truncated = report.Problems.Single(p => p.Kind == ProblemKind.Truncated);
        Assert.That((truncated.File, truncated.Record, truncated.Offset), Is.EqualTo((_path, (long?)data.Number, (long?)data.Offset)));
        Assert.That(report.Problems.Select(p => p.Kind), Does.Contain(ProblemKind.NotSealed).And.Contain(ProblemKind.IndexMismatch));
    }

    [Test]
    public void Truncation_at_a_record_boundary_loses_the_seal_and_is_reported()
    {
        var end = Record(RecordType.End);
        using (var file = new FileStream(_path, FileMode.Open))
        {
            file.SetLength(end.Offset);
        }

        var report = Verify();
        var notSealed = report.Problems.Single(p => p.Kind == ProblemKind.NotSealed);
        Assert.That((notSealed.File, notSealed.Record, notSealed.Offset), Is.EqualTo((_path, (long?)end.Number, (long?)end.Offset)));
        Assert.That(report.Problems.Any(p => p.Kind == ProblemKind.IndexMismatch && p.File == _path), Is.True);
    }

    [Test]
    public void Swapping_two_records_is_detected_at_the_first_of_them()
    {
        var a = _records[1];
        var b = _records[2];
        var bytes = File.ReadAllBytes(_path);
        var swapped = bytes[..(int)a.Offset]
            .Concat(bytes[(int)b.Offset..(int)b.End])
            .Concat(bytes[(int)a.Offset..(int)a.End])
            .Concat(bytes[(int)b.End..]).ToArray();
        File.WriteAllBytes(_path, swapped);

        var report = Verify();
        AssertNames(report, _path, 1, a.Offset);
        Assert.That(report.Problems.Where(p => p.File == _path).Select(p => p.Kind), Does.Contain(ProblemKind.SequenceMismatch).And.Contain(ProblemKind.HashMismatch));
    }

    [Test]
    public void A_deleted_session_file_is_reported_from_the_index()
    {
        File.Delete(_path);
        var report = Verify();
        var missing = report.Problems.Single();
        Assert.That((missing.Kind, missing.File, missing.Record), Is.EqualTo((ProblemKind.IndexFileMissing, _path, (long?)2)));
        Assert.That(_fixture.Verifier().VerifySession(_fixture.Options.Directory, "middle").Problems.Single().Kind, Is.EqualTo(ProblemKind.IndexFileMissing));
    }

    [Test]
    public void A_deleted_index_line_breaks_the_chain_and_orphans_the_session()
    {
        var lines = File.ReadAllLines(_fixture.IndexPath);
        File.WriteAllLines(_fixture.IndexPath, [lines[0], lines[2]]);

        var report = Verify();
        Assert.That(report.Problems.Any(p => p.Kind == ProblemKind.IndexChain && p.File == _fixture.IndexPath && p.Record == 2), Is.True, report.ToString());
        Assert.That(report.Problems.Any(p => p.Kind == ProblemKind.NotInIndex && p.File == _path), Is.True, report.ToString());
    }

    [Test]
    public void Deleting_the_last_index_line_leaves_a_session_outside_the_index()
    {
        var lines = File.ReadAllLines(_fixture.IndexPath);
        File.WriteAllLines(_fixture.IndexPath, lines[..2]);

        var problem = Verify().Problems.Single();
        Assert.That((problem.Kind, problem.File), Is.EqualTo((ProblemKind.NotInIndex, _fixture.SessionPath("last"))));
    }

    [Test]
    public void Reordered_or_edited_index_lines_are_detected()
    {
        var lines = File.ReadAllLines(_fixture.IndexPath);
        File.WriteAllLines(_fixture.IndexPath, [lines[1], lines[0], lines[2]]);
        Assert.That(Verify().Problems.Select(p => p.Kind), Does.Contain(ProblemKind.IndexChain));

        File.WriteAllLines(_fixture.IndexPath, [lines[0], lines[1].Replace("client disconnected", "client disconnectes", StringComparison.Ordinal), lines[2]]);
        var report = Verify();
        Assert.That(report.Problems.Select(p => (p.Kind, p.Record)), Does.Contain((ProblemKind.IndexSignature, (long?)2)).And.Contain((ProblemKind.IndexChain, (long?)3)));
    }

    [Test]
    public void A_forged_record_appended_after_the_seal_is_detected()
    {
        // A well-formed data record, correctly chained to the seal's hash: only the seal and the index can catch it.
        var bytes = File.ReadAllBytes(_path);
        var payload = "forged"u8.ToArray();
        var header = new byte[RecordingFormat.RecordHeaderSize];
        new RecordHeader(payload.Length, RecordType.Data, 0, (byte)RecordDirection.ServerToClient, _records.Count, long.MaxValue / 2).WriteTo(header);
        var hash = new byte[RecordingFormat.HashSize];
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            RecordingFormat.ComputeRecordHash(sha, bytes.AsSpan(bytes.Length - RecordingFormat.HashSize), header, payload, hash);
        }

        File.WriteAllBytes(_path, [.. bytes, .. header, .. payload, .. hash]);

        var report = Verify();
        var after = report.Problems.First(p => p.Kind == ProblemKind.AfterSeal);
        Assert.That((after.File, after.Record, after.Offset), Is.EqualTo((_path, (long?)_records.Count, (long?)bytes.Length)));
        Assert.That(report.Problems.Any(p => p.Kind == ProblemKind.IndexMismatch && p.File == _path), Is.True);
    }

    [Test]
    public void A_session_sealed_with_another_key_is_not_trusted()
    {
        var other = RecordingSigningKey.FromSeed(RandomNumberGenerator.GetBytes(32));
        var report = new RecordingVerifier([other.PublicKey]).VerifyDirectory(_fixture.Options.Directory);
        Assert.That(report.Problems.Count(p => p.Kind == ProblemKind.UntrustedKey), Is.EqualTo(3));
        Assert.That(report.Problems.Count(p => p.Kind == ProblemKind.IndexSignature), Is.EqualTo(3));
    }

    [Test]
    public void Records_removed_from_the_middle_are_detected()
    {
        var bytes = File.ReadAllBytes(_path);
        var removed = _records[2];
        File.WriteAllBytes(_path, [.. bytes[..(int)removed.Offset], .. bytes[(int)removed.End..]]);
        var report = Verify();
        AssertNames(report, _path, 2, removed.Offset);
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((int)_records[3].Offset + 8)), Is.EqualTo(3), "sequence numbers are stored");
    }
}
