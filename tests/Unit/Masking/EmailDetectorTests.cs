using HoopProxy.Postgres.Masking;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Masking.DetectorAssert;

namespace HoopProxy.Tests.Unit.Masking;

public sealed class EmailDetectorTests
{
    private static readonly EmailDetector Detector = new();

    [TestCase("ann@example.com")]
    [TestCase("john.doe+billing@mail.example.co.uk")]
    [TestCase("first_last-1@sub-domain.example.io")]
    [TestCase("A.B@EXAMPLE.ORG")]
    [TestCase("x@a1.de")]
    public void A_valid_address_alone_is_found(string email)
    {
        Assert.That(Found(Detector, email), Is.EqualTo(new[] { email }));
    }

    [TestCase("user@localhost", Description = "no dot in the domain")]
    [TestCase("user@example.c", Description = "one-letter TLD")]
    [TestCase("user@example.123", Description = "numeric TLD")]
    [TestCase("user@-example.com", Description = "label starting with a hyphen")]
    [TestCase("user@example..com", Description = "empty label")]
    [TestCase("john..doe@example.com", Description = "doubled dot in the local part")]
    [TestCase("john.@example.com", Description = "local part ends with a dot")]
    [TestCase("@example.com", Description = "no local part")]
    [TestCase("user@", Description = "no domain")]
    [TestCase("a @ example.com", Description = "spaces around @")]
    [TestCase("pg_stat@17", Description = "not an address")]
    public void Invalid_addresses_are_not_found(string text)
    {
        Assert.That(Found(Detector, text), Is.Empty);
    }

    [Test]
    public void Addresses_are_found_in_free_text_and_json_without_surrounding_punctuation()
    {
        Assert.That(Found(Detector, "Write to <ann@example.com> or bob@example.org."), Is.EqualTo(new[] { "ann@example.com", "bob@example.org" }));
        Assert.That(Found(Detector, "{\"to\":[\"ann@example.com\",\"c.d@example.net\"]}"), Is.EqualTo(new[] { "ann@example.com", "c.d@example.net" }));
        Assert.That(Found(Detector, "mailto:.ann@example.com"), Is.EqualTo(new[] { "ann@example.com" }));
    }
}
