using HoopProxy.Postgres.Masking;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Masking.DetectorAssert;

namespace HoopProxy.Tests.Unit.Masking;

public sealed class CustomDetectorTests
{
    [Test]
    public void A_pattern_detector_reports_every_non_empty_match()
    {
        var detector = new CustomDetectorDefinition("employee-id", Pattern: @"\bEMP-[0-9]{6}\b").Build();

        Assert.That(detector.Name, Is.EqualTo("employee-id"));
        Assert.That(Found(detector, "EMP-123456 and EMP-654321, not EMP-1234567 or xEMP-123456"), Is.EqualTo(new[] { "EMP-123456", "EMP-654321" }));
    }

    [Test]
    public void A_pattern_that_can_match_empty_text_does_not_loop_or_report_empty_matches()
    {
        var detector = new RegexDetector("maybe-digits", "[0-9]*");

        Assert.That(Found(detector, "ab12cd345"), Is.EqualTo(new[] { "12", "345" }));
    }

    [Test]
    public void A_word_list_matches_whole_words_ignoring_case()
    {
        var detector = new CustomDetectorDefinition("code-names", Words: ["falcon", "Osprey"]).Build();

        Assert.That(Found(detector, "Project FALCON meets osprey; falconry and ospreys do not count, nor my_falcon."),
            Is.EqualTo(new[] { "FALCON", "osprey" }));
    }

    [Test]
    public void A_word_list_entry_must_be_one_word()
    {
        Assert.Throws<ArgumentException>(() => new WordListDetector("names", ["John Smith"]));
        Assert.Throws<ArgumentException>(() => new WordListDetector("names", []));
    }

    [Test]
    public void Pattern_and_words_together_find_either()
    {
        var detector = new CustomDetectorDefinition("internal", Pattern: "INT-[0-9]+", Words: ["falcon"]).Build();

        Assert.That(Found(detector, "falcon INT-42 x falcon"), Is.EqualTo(new[] { "falcon", "INT-42", "falcon" }));
    }

    [Test]
    public void A_definition_without_pattern_or_words_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new CustomDetectorDefinition("empty").Build());
    }

    [Test]
    public void A_pattern_that_times_out_fails_closed_and_reports_the_rest_of_the_text()
    {
        // Catastrophic backtracking on a long run of word characters that ends in a non-match.
        var detector = new RegexDetector("slow", @"^(\w+\s?)*$", TimeSpan.FromMilliseconds(1));
        string text = "ok " + new string('a', 5000) + "!";

        Assert.That(detector.TryFindNext(text, 0, out var match), Is.True);
        Assert.That(match, Is.EqualTo(new TextMatch(0, text.Length)));
        Assert.That(detector.TimeoutCount, Is.EqualTo(1));
    }

    [Test]
    public void An_infinite_timeout_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RegexDetector("x", "a", System.Text.RegularExpressions.Regex.InfiniteMatchTimeout));
    }

    [Test]
    public void The_catalog_resolves_built_ins_and_custom_names_in_rule_order()
    {
        var catalog = new DetectorCatalog([new CustomDetectorDefinition("employee-id", Pattern: "EMP-[0-9]+")]);

        var resolved = catalog.Resolve(["employee-id", "US-SSN", "payment-card"]);

        Assert.That(resolved.Select(d => d.Name), Is.EqualTo(new[] { "employee-id", "us-ssn", "payment-card" }));
        Assert.That(catalog.Names, Has.Count.EqualTo(7));
    }

    [Test]
    public void The_catalog_refuses_unknown_names_and_custom_detectors_that_shadow_built_ins()
    {
        var catalog = new DetectorCatalog();

        Assert.Throws<ArgumentException>(() => catalog.Resolve(["us-ssn", "passport"]));
        Assert.Throws<ArgumentException>(() => _ = new DetectorCatalog([new CustomDetectorDefinition("email", Pattern: "x")]));
    }
}
