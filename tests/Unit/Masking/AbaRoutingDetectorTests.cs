using HoopProxy.Postgres.Masking;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Masking.DetectorAssert;

namespace HoopProxy.Tests.Unit.Masking;

public sealed class AbaRoutingDetectorTests
{
    private static readonly AbaRoutingDetector Detector = new();

    [TestCase("021000021")]
    [TestCase("011000015")]
    [TestCase("122105155")]
    [TestCase("026009593")]
    public void A_valid_routing_number_alone_is_found(string routing)
    {
        Assert.That(Found(Detector, routing), Is.EqualTo(new[] { routing }));
    }

    [TestCase("021000022", Description = "checksum fails")]
    [TestCase("131000021", Description = "checksum passes, prefix 13 is not a routing symbol")]
    [TestCase("000000000", Description = "passes both checks, never a routing number")]
    [TestCase("0210000210", Description = "ten digits")]
    [TestCase("02100002", Description = "eight digits")]
    [TestCase("x021000021", Description = "glued to a letter")]
    [TestCase("1.021000021", Description = "a decimal")]
    [TestCase("021000021-5", Description = "joined to a number")]
    public void Invalid_numbers_and_near_misses_are_not_found(string text)
    {
        Assert.That(Found(Detector, text), Is.Empty);
    }

    [Test]
    public void A_nine_digit_identifier_that_happens_to_pass_the_checks_is_found()
    {
        // Prefix 12 and a passing checksum: well formed, so found, though it may be an order number. This is the
        // detector's known false-positive rate (docs/masking.md); the test pins it so a change is deliberate.
        Assert.That(Found(Detector, "order 123456780"), Is.EqualTo(new[] { "123456780" }));
    }

    [Test]
    public void Routing_numbers_are_found_in_free_text_json_and_arrays()
    {
        Assert.That(Found(Detector, "routing 021000021, account 12345678."), Is.EqualTo(new[] { "021000021" }));
        Assert.That(Found(Detector, "{\"aba\":\"011000015\"}"), Is.EqualTo(new[] { "011000015" }));
        Assert.That(Found(Detector, "{021000021,011000015}"), Is.EqualTo(new[] { "021000021", "011000015" }));
    }
}
