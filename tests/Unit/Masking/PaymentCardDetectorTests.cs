using HoopProxy.Postgres.Masking;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Masking.DetectorAssert;

namespace HoopProxy.Tests.Unit.Masking;

public sealed class PaymentCardDetectorTests
{
    private static readonly PaymentCardDetector Detector = new();

    [TestCase("4111111111111111", Description = "Visa 16")]
    [TestCase("4222222222222", Description = "Visa 13")]
    [TestCase("5555555555554444", Description = "Mastercard 55")]
    [TestCase("5105105105105100", Description = "Mastercard 51")]
    [TestCase("2223003122003222", Description = "Mastercard 2-series")]
    [TestCase("378282246310005", Description = "Amex 37")]
    [TestCase("371449635398431", Description = "Amex 37")]
    [TestCase("6011111111111117", Description = "Discover 6011")]
    [TestCase("3530111333300000", Description = "JCB")]
    [TestCase("3566002020360505", Description = "JCB")]
    [TestCase("30569309025904", Description = "Diners 305, 14 digits")]
    [TestCase("38520000023237", Description = "Diners 38")]
    [TestCase("6200000000000005", Description = "UnionPay")]
    [TestCase("6304000000000000", Description = "Maestro")]
    [TestCase("2200000000000004", Description = "Mir")]
    [TestCase("4111 1111 1111 1111", Description = "4-4-4-4 spaces")]
    [TestCase("4111-1111-1111-1111", Description = "4-4-4-4 dashes")]
    [TestCase("3782 822463 10005", Description = "Amex 4-6-5")]
    [TestCase("3056 930902 5904", Description = "Diners 4-6-4")]
    [TestCase("4222 2222 2222 2", Description = "Visa 13 as 4-4-4-1")]
    public void A_valid_number_alone_is_found_whole(string card)
    {
        Assert.That(Found(Detector, card), Is.EqualTo(new[] { card }));
    }

    [TestCase("4111111111111112", Description = "Luhn fails")]
    [TestCase("4111 1111 1111 1112", Description = "Luhn fails, grouped")]
    [TestCase("1234567812345670", Description = "Luhn passes, no issuer starts with 1")]
    [TestCase("9111111111111110", Description = "Luhn passes, no issuer starts with 9")]
    [TestCase("411111111111116", Description = "Visa prefix and Luhn, but Visa has no 15-digit numbers")]
    [TestCase("51111111111111", Description = "Mastercard prefix and Luhn, but 14 digits")]
    [TestCase("411111111111111100", Description = "18 digits (no Visa length), though the 16-digit card inside passes")]
    [TestCase("41111111111111111", Description = "a valid card plus one digit is not a card")]
    [TestCase("14111111111111111", Description = "a digit before it")]
    [TestCase("4111 1111-1111 1111", Description = "mixed separators")]
    [TestCase("4111  1111 1111 1111", Description = "double space")]
    [TestCase("41 11 11 11 11 11 11 11", Description = "not a printed grouping")]
    [TestCase("4111-1111-1111-1111-1234", Description = "a dashed run longer than the card")]
    [TestCase("12-4111111111111111", Description = "joined to a number by a dash")]
    [TestCase("4111.1111.1111.1111", Description = "dots are not card separators")]
    public void Near_misses_are_not_found(string text)
    {
        Assert.That(Found(Detector, text), Is.Empty);
    }

    [Test]
    public void Cards_inside_free_text_and_json_are_found_with_exact_bounds()
    {
        Assert.That(Found(Detector, "paid with 4111 1111 1111 1111 exp 12/29, cvv 123."), Is.EqualTo(new[] { "4111 1111 1111 1111" }));
        Assert.That(Found(Detector, "{\"pan\":\"5555555555554444\",\"amex\":\"378282246310005\"}"),
            Is.EqualTo(new[] { "5555555555554444", "378282246310005" }));
        Assert.That(Found(Detector, "{4111111111111111,6011111111111117}"), Is.EqualTo(new[] { "4111111111111111", "6011111111111117" }));
    }

    [Test]
    public void A_spaced_card_followed_by_another_spaced_number_is_found_without_it()
    {
        Assert.That(Found(Detector, "4111 1111 1111 1111 123"), Is.EqualTo(new[] { "4111 1111 1111 1111" }));
    }

    [Test]
    public void Letters_may_touch_a_card_number()
    {
        Assert.That(Found(Detector, "pan4111111111111111x"), Is.EqualTo(new[] { "4111111111111111" }));
    }
}
