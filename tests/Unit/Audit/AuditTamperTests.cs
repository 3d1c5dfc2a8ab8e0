using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;
using HoopProxy.Core.Recording;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Audit;

/// <summary>
/// Each kind of tampering the issue lists is caught and named by its line. The log: line 1 started, 2–9 statements,
/// 10 a checkpoint, 11–14 statements, 15 stopped, 16 the closing checkpoint.
/// </summary>
public sealed class AuditTamperTests
{
    private AuditFixture _fixture = null!;
    private List<string> _lines = null!;

    [SetUp]
    public async Task WriteLog()
    {
        _fixture = new AuditFixture(checkpointEvents: 9);
        await _fixture.WriteClosedLogAsync(statements: 12);
        _lines = _fixture.Lines();
        Assert.That(_lines, Has.Count.EqualTo(16));
        Assert.That((_fixture.Json(10)["type"]!.GetValue<string>(), _fixture.Json(16)["type"]!.GetValue<string>()), Is.EqualTo(("checkpoint", "checkpoint")));
        Assert.That(_fixture.Verify().IsValid, Is.True, _fixture.Verify().ToString());
    }

    [TearDown]
    public void TearDown() => _fixture.Dispose();

    private AuditVerificationReport Tampered()
    {
        _fixture.WriteLines(_lines);
        return _fixture.Verify();
    }

    private static void AssertOnly(AuditVerificationReport report, AuditProblemKind kind, long line)
    {
        Assert.That(report.IsValid, Is.False);
        Assert.That(report.Problems.Select(p => (p.Kind, p.Line)), Is.EqualTo(new[] { (kind, line) }), report.ToString());
    }

    [Test]
    public void A_changed_line_is_named_alone()
    {
        _lines[4] = _lines[4].Replace("SELECT 4", "SELECT 5", StringComparison.Ordinal);

        var report = Tampered();

        AssertOnly(report, AuditProblemKind.Changed, 5);
        Assert.That(report.ToString(), Does.Contain("line 5: Changed: seq 5 does not match its hash"));
    }

    [Test]
    public void A_changed_line_whose_hash_was_recomputed_breaks_the_link_to_the_next_line()
    {
        var line = JsonNode.Parse(_lines[4])!.AsObject();
        line["outcome"] = "failure";
        _lines[4] = AuditFixture.Rehash(line);

        var report = Tampered();

        AssertOnly(report, AuditProblemKind.ChainBroken, 6);
        Assert.That(report.Problems[0].Message, Does.Contain("does not follow line 5"));
    }

    [Test]
    public void A_changed_line_with_the_chain_rewritten_after_it_fails_the_next_checkpoint()
    {
        var line = JsonNode.Parse(_lines[4])!.AsObject();
        line["user"]!["name"] = "mallory@example.test";
        _lines[4] = AuditFixture.Rehash(line);
        AuditFixture.Rechain(_lines, 6);

        var report = Tampered();

        Assert.That(report.Problems.Select(p => (p.Kind, p.Line)), Is.EqualTo(new[] { (AuditProblemKind.CheckpointSignature, 10L), (AuditProblemKind.CheckpointSignature, 16L) }), report.ToString());
    }

    [Test]
    public void A_removed_line_is_named_by_the_seq_that_is_missing()
    {
        _lines.RemoveAt(5);

        var report = Tampered();

        AssertOnly(report, AuditProblemKind.Removed, 6);
        Assert.That(report.Problems[0].Message, Does.StartWith("seq 6 is missing before this line"));
    }

    [Test]
    public void Several_removed_lines_are_one_problem_with_the_range()
    {
        _lines.RemoveRange(2, 3);

        var report = Tampered();

        AssertOnly(report, AuditProblemKind.Removed, 3);
        Assert.That(report.Problems[0].Message, Does.StartWith("seq 3–5 are missing before this line: 3 lines were removed"));
    }

    [Test]
    public void Two_swapped_lines_are_named_as_out_of_order()
    {
        (_lines[5], _lines[6]) = (_lines[6], _lines[5]);

        var report = Tampered();

        AssertOnly(report, AuditProblemKind.Reordered, 7);
        Assert.That(report.Problems[0].Message, Is.EqualTo("seq 6 is out of order: it belongs before line 6"));
    }

    [Test]
    public void A_line_moved_far_from_its_place_is_named()
    {
        var moved = _lines[2];
        _lines.RemoveAt(2);
        _lines.Insert(12, moved);

        AssertOnly(Tampered(), AuditProblemKind.Reordered, 13);
    }

    [Test]
    public void An_inserted_line_that_fits_the_chain_is_named_by_the_line_after_it()
    {
        // The forger takes the place of seq 6 with a line that links to line 5 and hashes correctly.
        var forged = JsonNode.Parse(_lines[5])!.AsObject();
        forged["action"] = "GRANT ALL ON accounts TO mallory";
        _lines.Insert(5, AuditFixture.Rehash(forged));

        var report = Tampered();

        AssertOnly(report, AuditProblemKind.Inserted, 6);
        Assert.That(report.Problems[0].Message, Is.EqualTo("the line was inserted: it repeats seq 6 of line 7, which line 8 (seq 7) continues the chain from"));
    }

    [Test]
    public void A_copied_line_is_named_as_inserted()
    {
        _lines.Insert(8, _lines[3]);

        var report = Tampered();

        Assert.That(report.Problems.Select(p => (p.Kind, p.Line)), Does.Contain((AuditProblemKind.Inserted, 9L)), report.ToString());
    }

    [Test]
    public void A_checkpoint_signed_by_another_key_is_untrusted()
    {
        var line = JsonNode.Parse(_lines[4])!.AsObject();
        line["action"] = "SELECT harmless";
        _lines[4] = AuditFixture.Rehash(line);
        AuditFixture.Rechain(_lines, 6);
        _lines[9] = Resign(_lines[9], RecordingSigningKey.FromSeed(new byte[32]));
        AuditFixture.Rechain(_lines, 11);

        var report = Tampered();

        Assert.That(report.Problems.Select(p => (p.Kind, p.Line)), Is.EqualTo(new[] { (AuditProblemKind.UntrustedKey, 10L), (AuditProblemKind.CheckpointSignature, 16L) }), report.ToString());
    }

    [Test]
    public void A_checkpoint_whose_signature_was_altered_is_named()
    {
        var line = JsonNode.Parse(_lines[9])!.AsObject();
        var signature = Convert.FromBase64String(line["signature"]!.GetValue<string>());
        signature[10] ^= 1;
        line["signature"] = Convert.ToBase64String(signature);
        _lines[9] = AuditFixture.Rehash(line);
        AuditFixture.Rechain(_lines, 11);

        var report = Tampered();

        Assert.That(report.Problems.Select(p => (p.Kind, p.Line)), Is.EqualTo(new[] { (AuditProblemKind.CheckpointSignature, 10L), (AuditProblemKind.CheckpointSignature, 16L) }), report.ToString());
    }

    [Test]
    public void A_removed_checkpoint_is_named_twice_by_the_gap_and_by_the_next_checkpoint()
    {
        _lines.RemoveAt(9);
        AuditFixture.Rechain(_lines, 10);

        var report = Tampered();

        Assert.That(report.Problems.Select(p => p.Kind), Does.Contain(AuditProblemKind.Removed).And.Contain(AuditProblemKind.CheckpointMismatch), report.ToString());
    }

    [Test]
    public void A_truncated_last_line_is_incomplete()
    {
        _fixture.WriteLines(_lines);
        var length = new FileInfo(_fixture.LogPath).Length;
        using (var file = new FileStream(_fixture.LogPath, FileMode.Open))
        {
            file.SetLength(length - 30);
        }

        var report = _fixture.Verify();

        AssertOnly(report, AuditProblemKind.Incomplete, 16);
        Assert.That(report.Warnings.Single().Kind, Is.EqualTo(AuditWarningKind.NotCheckpointed), "lines 11–15 no longer have a checkpoint");
    }

    [Test]
    public void Lines_removed_from_the_start_are_named()
    {
        _lines.RemoveAt(0);

        AssertOnly(Tampered(), AuditProblemKind.Removed, 1);
    }

    [Test]
    public void A_line_that_is_not_one_of_ours_is_malformed()
    {
        _lines[3] = "{\"seq\":4}";

        var report = Tampered();

        Assert.That(report.Problems.Select(p => (p.Kind, p.Line)), Does.Contain((AuditProblemKind.Malformed, 4L)), report.ToString());
    }

    /// <summary>What a forger with their own key writes: the checkpoint re-signed and rehashed.</summary>
    private static string Resign(string line, RecordingSigningKey key)
    {
        var json = JsonNode.Parse(line)!.AsObject();
        json.Remove("hash");
        json.Remove("signature");
        json["checkpoint"]!["public_key"] = Convert.ToBase64String(key.PublicKey);
        var body = System.Text.Encoding.UTF8.GetBytes(json.ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }));
        var signed = AuditLineFormat.WithSignature(body, key.Sign(body));
        return System.Text.Encoding.UTF8.GetString(AuditLineFormat.Seal(signed, out _)).TrimEnd('\n');
    }
}
