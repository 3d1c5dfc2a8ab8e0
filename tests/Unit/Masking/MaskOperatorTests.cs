using System.Security.Cryptography;
using System.Text;
using HoopProxy.Postgres.Masking;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Masking;

public sealed class MaskOperatorTests
{
    private static readonly byte[] Key = Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef");

    private static string Replace(MaskOperator op, string original, string label = "x")
    {
        var destination = new char[op.GetReplacementLength(original, label)];
        op.WriteReplacement(original, label, destination);
        return new string(destination);
    }

    [Test]
    public void Redact_names_the_detector_or_column_or_uses_a_fixed_text()
    {
        Assert.That(Replace(new RedactOperator(), "536-22-8726", "us-ssn"), Is.EqualTo("[REDACTED:us-ssn]"));
        Assert.That(Replace(new RedactOperator(), "x", "public.customers.ssn"), Is.EqualTo("[REDACTED:public.customers.ssn]"));
        Assert.That(Replace(new RedactOperator("***"), "536-22-8726", "us-ssn"), Is.EqualTo("***"));
    }

    [TestCase("4111-1111-1111-1111", 4, "****-****-****-1111")]
    [TestCase("4111 1111 1111 1111", 4, "**** **** **** 1111")]
    [TestCase("536-22-8726", 4, "***-**-8726")]
    [TestCase("(202) 555-0101", 4, "(***) ***-0101")]
    [TestCase("ann.lee@example.com", 3, "***.***@*******.com")]
    [TestCase("GB82 WEST 1234 5698 7654 32", 4, "**** **** **** **** **54 32")]
    [TestCase("536-22-8726", 0, "***-**-****")]
    [TestCase("1234", 4, "****", Description = "as many letters/digits as Keep: all masked, nothing shown")]
    [TestCase("12", 4, "**", Description = "fewer than Keep: all masked")]
    [TestCase("Zoë Ünal", 2, "*** **al", Description = "non-ASCII letters are letters")]
    [TestCase("--", 2, "--", Description = "nothing to mask")]
    public void Partial_keeps_the_last_letters_and_digits_and_every_separator(string original, int keep, string expected)
    {
        Assert.That(Replace(new PartialOperator(keep), original), Is.EqualTo(expected));
    }

    [Test]
    public void Partial_masks_a_letter_outside_the_BMP_as_one_character()
    {
        // U+1D400 MATHEMATICAL BOLD CAPITAL A is a letter written as a surrogate pair.
        Assert.That(Replace(new PartialOperator(1), "\U0001D400\U0001D400b"), Is.EqualTo("**b"));
    }

    [Test]
    public void Hash_is_a_truncated_hmac_of_the_utf8_value_and_ignores_the_label()
    {
        // HMAC-SHA256(key, "536-22-8726") computed independently (Python hmac), first 8 bytes.
        Assert.That(Replace(new HashOperator(Key), "536-22-8726", "us-ssn"), Is.EqualTo("h:c380a7042f64620c"));
        Assert.That(Replace(new HashOperator(Key), "536-22-8726", "public.customers.ssn"), Is.EqualTo("h:c380a7042f64620c"));
        var mac = HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes("Zoë"));
        Assert.That(Replace(new HashOperator(Key), "Zoë"), Is.EqualTo("h:" + Convert.ToHexStringLower(mac)[..16]));
    }

    [Test]
    public void Hash_is_stable_per_key_and_differs_between_keys_and_values()
    {
        var first = new HashOperator(Key);
        var again = new HashOperator(Key.ToArray());
        var otherKey = new HashOperator(Encoding.ASCII.GetBytes("another key of 32 bytes ........"));

        Assert.That(Replace(again, "4111111111111111"), Is.EqualTo(Replace(first, "4111111111111111")));
        Assert.That(Replace(otherKey, "4111111111111111"), Is.Not.EqualTo(Replace(first, "4111111111111111")));
        Assert.That(Replace(first, "4111111111111112"), Is.Not.EqualTo(Replace(first, "4111111111111111")));
        Assert.That(Replace(first, "4111111111111111"), Does.Match("^h:[0-9a-f]{16}$"));
    }

    [Test]
    public void Hash_handles_values_longer_than_its_stack_buffer()
    {
        string longValue = new('é', 1000);
        var mac = HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes(longValue));

        Assert.That(Replace(new HashOperator(Key), longValue), Is.EqualTo("h:" + Convert.ToHexStringLower(mac)[..16]));
    }

    [Test]
    public void Hash_refuses_a_short_key()
    {
        Assert.Throws<ArgumentException>(() => _ = new HashOperator(new byte[15]));
    }

    [Test]
    public void Whole_values_as_column_rules_mask_them()
    {
        Assert.That(new PartialOperator(4).MaskWholeValue("536-22-8726", "public.customers.ssn").Text, Is.EqualTo("***-**-8726"));
        Assert.That(new RedactOperator().MaskWholeValue("anything", "public.customers.ssn").Text, Is.EqualTo("[REDACTED:public.customers.ssn]"));

        var nulled = new NullOperator().MaskWholeValue("536-22-8726", "public.customers.ssn");
        Assert.That(nulled.Changed, Is.True);
        Assert.That(nulled.IsNull, Is.True);
        Assert.That(nulled.Text, Is.Null);

        const string separatorsOnly = "--";
        var unchanged = new PartialOperator(4).MaskWholeValue(separatorsOnly, "c");
        Assert.That(unchanged.Changed, Is.False);
        Assert.That(unchanged.Text, Is.SameAs(separatorsOnly));
    }
}
