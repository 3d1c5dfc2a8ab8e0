using System.Text;
using HoopProxy.Postgres.Masking;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Masking;

public sealed class ValueMaskerTests
{
    private static readonly DetectorCatalog Catalog = new([new CustomDetectorDefinition("four-digits", Pattern: "[0-9]{4}")]);

    private static readonly string[] AllBuiltIns =
        [DetectorNames.UsSsn, DetectorNames.PaymentCard, DetectorNames.Email, DetectorNames.Phone, DetectorNames.Iban, DetectorNames.AbaRouting];

    private static ValueMasker Masker(MaskOperator op, params string[] detectors) =>
        new(Catalog.Resolve(detectors.Length == 0 ? AllBuiltIns : detectors), op);

    [Test]
    public void Free_text_gets_each_match_replaced_and_counted_per_detector()
    {
        var masker = Masker(new RedactOperator());

        var result = masker.Mask("Ann (536-22-8726) paid with 4111 1111 1111 1111; ann@example.com, 202-555-0101, SSN 665-01-0002.");

        Assert.That(result.Changed, Is.True);
        Assert.That(result.IsNull, Is.False);
        Assert.That(result.Text, Is.EqualTo(
            "Ann ([REDACTED:us-ssn]) paid with [REDACTED:payment-card]; [REDACTED:email], [REDACTED:phone], SSN [REDACTED:us-ssn]."));
        Assert.That(result.Counts, Is.EqualTo(new[]
        {
            new DetectorCount("us-ssn", 2), new DetectorCount("payment-card", 1), new DetectorCount("email", 1), new DetectorCount("phone", 1),
        }));
        Assert.That(result.MatchCount, Is.EqualTo(5));
    }

    [Test]
    public void Json_and_array_literals_keep_their_structure()
    {
        var masker = Masker(new PartialOperator(4));

        Assert.That(masker.Mask("{\"ssn\":\"536-22-8726\",\"iban\":\"DE89 3704 0044 0532 0130 00\",\"n\":1}").Text,
            Is.EqualTo("{\"ssn\":\"***-**-8726\",\"iban\":\"**** **** **** **** **30 00\",\"n\":1}"));
        Assert.That(masker.Mask("{536228726,\"021000021\",plain}").Text, Is.EqualTo("{*****8726,\"*****0021\",plain}"));
    }

    [Test]
    public void Json_unicode_escapes_are_decoded_before_detection_and_the_escaped_original_is_replaced()
    {
        var masker = Masker(new RedactOperator());

        // \u0035\u0033 is "53": the SSN 536-22-8726 partly written as escapes.
        Assert.That(masker.Mask("{\"ssn\":\"\\u0035\\u00336-22-8726\"}").Text, Is.EqualTo("{\"ssn\":\"[REDACTED:us-ssn]\"}"));
        Assert.That(Masker(new PartialOperator(4)).Mask("{\"ssn\":\"\\u0035\\u00336-22-8726\",\"é\":\"\\u00e9\"}").Text,
            Is.EqualTo("{\"ssn\":\"***-**-8726\",\"é\":\"\\u00e9\"}"));
    }

    [Test]
    public void An_escaped_backslash_is_not_the_start_of_an_escape()
    {
        var masker = Masker(new RedactOperator());

        // JSON "\\u0035" is a backslash then the text u0035: no digit 5 there, so no SSN "536-22-8726" either.
        const string text = "{\"a\":\"\\\\u00356-22-8726\"}";
        Assert.That(masker.Mask(text).Changed, Is.False);
    }

    [Test]
    public void The_longest_overlapping_match_wins_whatever_the_detector_order()
    {
        var cardFirst = Masker(new RedactOperator(), "payment-card", "four-digits");
        var customFirst = Masker(new RedactOperator(), "four-digits", "payment-card");

        Assert.That(cardFirst.Mask("card 4111111111111111 pin 1234").Text, Is.EqualTo("card [REDACTED:payment-card] pin [REDACTED:four-digits]"));
        Assert.That(customFirst.Mask("card 4111111111111111 pin 1234").Text, Is.EqualTo("card [REDACTED:payment-card] pin [REDACTED:four-digits]"));
    }

    [Test]
    public void Equally_long_overlapping_matches_go_to_the_detector_listed_first()
    {
        // 021123403 is both a valid SSN (as a whole value) and a valid routing number.
        Assert.That(Masker(new RedactOperator(), "us-ssn", "aba-routing").Mask("021123403").Text, Is.EqualTo("[REDACTED:us-ssn]"));
        var result = Masker(new RedactOperator(), "aba-routing", "us-ssn").Mask("021123403");
        Assert.That(result.Text, Is.EqualTo("[REDACTED:aba-routing]"));
        Assert.That(result.Counts, Is.EqualTo(new[] { new DetectorCount("aba-routing", 1) }));
    }

    [Test]
    public void Hash_gives_the_same_pseudonym_for_the_same_value_wherever_it_appears()
    {
        var masker = Masker(new HashOperator(Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef")), "us-ssn");

        var result = masker.Mask("536-22-8726 then 536-22-8726 then 665-01-0002");

        Assert.That(result.Text, Is.EqualTo("h:c380a7042f64620c then h:c380a7042f64620c then " + result.Text![^18..]));
        Assert.That(result.Text[^18..], Does.Match("^h:[0-9a-f]{16}$").And.Not.EqualTo("h:c380a7042f64620c"));
    }

    [Test]
    public void Null_makes_the_whole_value_null_when_anything_matches()
    {
        var masker = Masker(new NullOperator());

        var matched = masker.Mask("note: 536-22-8726");
        Assert.That(matched.IsNull, Is.True);
        Assert.That(matched.Changed, Is.True);
        Assert.That(matched.Text, Is.Null);
        Assert.That(matched.Counts, Is.EqualTo(new[] { new DetectorCount("us-ssn", 1) }));

        var clean = masker.Mask("note: nothing here");
        Assert.That(clean.IsNull, Is.False);
        Assert.That(clean.Changed, Is.False);
    }

    [Test]
    public void No_match_returns_the_same_instance_and_empty_counts()
    {
        var masker = Masker(new RedactOperator());
        string text = "order 42 shipped on 2024-01-15 to Berlin, total 99.90 EUR";

        var result = masker.Mask(text);

        Assert.That(result.Changed, Is.False);
        Assert.That(result.Text, Is.SameAs(text));
        Assert.That(result.Counts, Is.Empty);
        Assert.That(masker.TryMask(text, out _), Is.False);
    }

    [Test]
    public void Counts_accumulate_into_a_callers_span_across_values()
    {
        var masker = Masker(new RedactOperator());
        Span<int> totals = stackalloc int[masker.Detectors.Count];

        Assert.That(masker.TryMask("536-22-8726 and ann@example.com", totals, out _), Is.True);
        Assert.That(masker.TryMask("665-01-0002", totals, out _), Is.True);
        Assert.That(masker.TryMask("nothing", totals, out _), Is.False);

        Assert.That(totals.ToArray(), Is.EqualTo(new[] { 2, 0, 1, 0, 0, 0 }));
    }

    [Test]
    public void Many_matches_spill_from_the_stack_buffer_to_the_pool_correctly()
    {
        var masker = Masker(new RedactOperator("#"), "email");
        string text = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"u{i}@example.com"));

        var result = masker.Mask(text);

        Assert.That(result.Text, Is.EqualTo(string.Join(' ', Enumerable.Repeat("#", 100))));
        Assert.That(result.Counts, Is.EqualTo(new[] { new DetectorCount("email", 100) }));
    }

    [Test]
    public void A_value_with_no_match_allocates_nothing()
    {
        var masker = Masker(new RedactOperator());
        string text = "The quick brown fox jumps over the lazy dog at 10:30 on 2024-01-15, order #42, total 99.90 EUR, ref AB12.";
        string escaped = "{\"name\":\"Zo\\u00eb\",\"city\":\"Berlin\",\"n\":123456789012}";
        masker.Mask(text);
        masker.Mask(escaped);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            masker.Mask(text);
            masker.Mask(escaped);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void A_value_with_a_match_allocates_about_the_result_only()
    {
        var masker = Masker(new RedactOperator());
        string text = "SSN 536-22-8726 on file";
        masker.Mask(text);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = masker.Mask(text);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The masked string (~80 B) and the one-entry counts array (~40 B); nothing proportional to the work.
        Assert.That(result.Changed, Is.True);
        Assert.That(allocated, Is.LessThanOrEqualTo(160));
    }
}
