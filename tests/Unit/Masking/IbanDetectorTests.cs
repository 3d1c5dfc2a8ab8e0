using HoopProxy.Postgres.Masking;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Masking.DetectorAssert;

namespace HoopProxy.Tests.Unit.Masking;

public sealed class IbanDetectorTests
{
    private static readonly IbanDetector Detector = new();

    [TestCase("DE89370400440532013000")]
    [TestCase("DE89 3704 0044 0532 0130 00")]
    [TestCase("GB82 WEST 1234 5698 7654 32")]
    [TestCase("GB82WEST12345698765432")]
    [TestCase("gb82west12345698765432", Description = "lower case")]
    [TestCase("FR14 2004 1010 0505 0001 3M02 606", Description = "a letter inside the BBAN, last group of 3")]
    [TestCase("NL91ABNA0417164300")]
    [TestCase("BE68539007547034", Description = "16, the shortest SEPA length but Norway's")]
    [TestCase("NO9386011117947", Description = "15")]
    [TestCase("CH9300762011623852957")]
    public void A_valid_iban_alone_is_found(string iban)
    {
        Assert.That(Found(Detector, iban), Is.EqualTo(new[] { iban }));
    }

    [TestCase("DE89370400440532013001", Description = "mod 97 fails")]
    [TestCase("DE89 3704 0044 0532 0130 01", Description = "mod 97 fails, spaced")]
    [TestCase("DE8937040044053201300", Description = "one character short for DE")]
    [TestCase("DE893704004405320130000", Description = "one character long for DE")]
    [TestCase("DE89 3704 0044 0532 0130 0", Description = "spaced, one short")]
    [TestCase("DE89 37040 044 0532 0130 00", Description = "groups not of four")]
    [TestCase("XX89370400440532013000", Description = "not an IBAN country")]
    [TestCase("ADE89370400440532013000", Description = "a letter glued before")]
    [TestCase("DE01370400440532013000", Description = "check digits 01 are never issued")]
    public void Invalid_ibans_are_not_found(string text)
    {
        Assert.That(Found(Detector, text), Is.Empty);
    }

    [Test]
    public void Ibans_are_found_in_free_text_and_json()
    {
        Assert.That(Found(Detector, "Pay to DE89 3704 0044 0532 0130 00, ref 42. Or NL91ABNA0417164300."),
            Is.EqualTo(new[] { "DE89 3704 0044 0532 0130 00", "NL91ABNA0417164300" }));
        Assert.That(Found(Detector, "{\"iban\":\"GB82WEST12345698765432\"}"), Is.EqualTo(new[] { "GB82WEST12345698765432" }));
    }

    [Test]
    public void A_spaced_iban_followed_by_more_text_stops_at_its_length()
    {
        Assert.That(Found(Detector, "DE89 3704 0044 0532 0130 00 EUR"), Is.EqualTo(new[] { "DE89 3704 0044 0532 0130 00" }));
    }
}
