using HoopProxy.Postgres.Masking;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Masking.DetectorAssert;

namespace HoopProxy.Tests.Unit.Masking;

public sealed class UsSsnDetectorTests
{
    private static readonly UsSsnDetector Detector = new();

    [TestCase("536-22-8726")]
    [TestCase("536 22 8726")]
    [TestCase("001-01-0001")]
    [TestCase("665-99-9999")]
    [TestCase("899-01-0001")]
    [TestCase("536228726", Description = "bare, the whole value")]
    public void A_valid_number_alone_is_found(string ssn)
    {
        Assert.That(Found(Detector, ssn), Is.EqualTo(new[] { ssn }));
    }

    [TestCase("000-12-3456", Description = "area 000")]
    [TestCase("666-12-3456", Description = "area 666")]
    [TestCase("900-12-3456", Description = "area 9xx")]
    [TestCase("999-12-3456", Description = "area 9xx")]
    [TestCase("536-00-8726", Description = "group 00")]
    [TestCase("536-22-0000", Description = "serial 0000")]
    [TestCase("111-11-1111", Description = "one digit repeated")]
    [TestCase("555 55 5555", Description = "one digit repeated")]
    [TestCase("078-05-1120", Description = "Woolworth wallet card")]
    [TestCase("219-09-9999", Description = "SSA leaflet")]
    [TestCase("536-22 8726", Description = "mixed separators")]
    [TestCase("536-228-726", Description = "wrong grouping")]
    [TestCase("5362-22-8726", Description = "four-digit area")]
    [TestCase("536-22-87261", Description = "five-digit serial")]
    [TestCase("1-536-22-8726", Description = "joined to a number before")]
    [TestCase("536-22-8726-1", Description = "joined to a number after")]
    [TestCase("x536-22-8726", Description = "glued to a letter")]
    [TestCase("5362287261", Description = "ten digits")]
    [TestCase("000000000", Description = "bare, area 000")]
    public void Invalid_numbers_and_near_misses_are_not_found(string text)
    {
        Assert.That(Found(Detector, text), Is.Empty);
    }

    [TestCase("my ssn is 536228726 ok", Description = "bare in free text")]
    [TestCase("order 536228726", Description = "bare at the end of free text")]
    [TestCase("{\"id\": 536228726}", Description = "a JSON number: not a whole string")]
    public void Bare_nine_digits_inside_other_text_are_not_found(string text)
    {
        Assert.That(Found(Detector, text), Is.Empty);
    }

    [TestCase("{\"ssn\":\"536228726\"}", Description = "a whole JSON string")]
    [TestCase("{536228726,1}", Description = "a whole array element")]
    [TestCase("{\"536228726\",\"x\"}", Description = "a whole quoted array element")]
    public void Bare_nine_digits_that_are_a_whole_element_are_found(string text)
    {
        Assert.That(Found(Detector, text), Is.EqualTo(new[] { "536228726" }));
    }

    [Test]
    public void Formatted_numbers_are_found_in_free_text_and_json()
    {
        Assert.That(Found(Detector, "SSN: 536-22-8726; spouse 123 45 6789."), Is.EqualTo(new[] { "536-22-8726", "123 45 6789" }));
        Assert.That(Found(Detector, "{\"a\":\"536-22-8726\",\"b\":[\"665-01-0002\"]}"), Is.EqualTo(new[] { "536-22-8726", "665-01-0002" }));
    }

    [Test]
    public void A_date_or_phone_is_not_an_ssn()
    {
        Assert.That(Found(Detector, "2024-01-15 and 202-555-0101 and 12/31/1999"), Is.Empty);
    }
}
