using HoopProxy.Postgres.Masking;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Masking.DetectorAssert;

namespace HoopProxy.Tests.Unit.Masking;

public sealed class PhoneDetectorTests
{
    private static readonly PhoneDetector Detector = new();

    [TestCase("(202) 555-0101")]
    [TestCase("(202)555-0101")]
    [TestCase("202-555-0101")]
    [TestCase("202.555.0101")]
    [TestCase("202 555 0101")]
    [TestCase("+1 202 555 0101")]
    [TestCase("+1-202-555-0101")]
    [TestCase("+1 (202) 555-0101")]
    [TestCase("+1(202) 555-0101")]
    [TestCase("1-800-555-0101")]
    [TestCase("+12025550101", Description = "E.164, 11 digits")]
    [TestCase("+44 20 7946 0958", Description = "E.164 with spaces")]
    [TestCase("+4915123456789", Description = "E.164, 13 digits")]
    [TestCase("+33123456", Description = "E.164, 8 digits, the minimum")]
    [TestCase("+123456789012345", Description = "E.164, 15 digits, the maximum")]
    public void A_valid_number_alone_is_found_whole(string phone)
    {
        Assert.That(Found(Detector, phone), Is.EqualTo(new[] { phone }));
    }

    [TestCase("(102) 555-0101", Description = "area code starts with 1")]
    [TestCase("202-155-0101", Description = "exchange starts with 1")]
    [TestCase("002-555-0101", Description = "area code starts with 0")]
    [TestCase("2025550101", Description = "ten bare digits")]
    [TestCase("202-555.0101", Description = "mixed separators")]
    [TestCase("202-555-01011", Description = "five-digit line")]
    [TestCase("12-202-555-0101", Description = "joined to a number before")]
    [TestCase("202-555-0101-7", Description = "joined to a number after")]
    [TestCase("x202-555-0101", Description = "glued to a letter")]
    [TestCase("+1234567", Description = "E.164, 7 digits")]
    [TestCase("+1234567890123456", Description = "E.164, 16 digits")]
    [TestCase("+0123456789", Description = "E.164 country codes do not start with 0")]
    [TestCase("a+12345678", Description = "a plus after a letter is arithmetic")]
    [TestCase("4111 1111 1111 1111", Description = "a card number")]
    [TestCase("DE89 3704 0044 0532 0130 00", Description = "an IBAN")]
    [TestCase("2024-01-15 10:30", Description = "a timestamp")]
    public void Invalid_numbers_and_near_misses_are_not_found(string text)
    {
        Assert.That(Found(Detector, text), Is.Empty);
    }

    [Test]
    public void Numbers_are_found_in_free_text_and_json()
    {
        Assert.That(Found(Detector, "Call (202) 555-0101 or +44 20 7946 0958, not 911."),
            Is.EqualTo(new[] { "(202) 555-0101", "+44 20 7946 0958" }));
        Assert.That(Found(Detector, "{\"phone\":\"202.555.0101\",\"fax\":\"+1 202 555 0199\"}"),
            Is.EqualTo(new[] { "202.555.0101", "+1 202 555 0199" }));
    }
}
