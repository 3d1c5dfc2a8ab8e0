using HoopProxy.Core.Configuration;
using HoopProxy.Postgres.Masking;
using HoopProxy.Postgres.Masking.Rules;
using HoopProxy.Postgres.Policy;
using Microsoft.Extensions.Configuration;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Masking;

public sealed class MaskingConfigurationTests
{
    private static MaskingPolicy Load(string json, string? baseDirectory = null)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        var configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();
        return MaskingConfiguration.FromConfiguration(configuration.GetSection("Masking"), configuration.GetSection("MaskingDetectors"), baseDirectory ?? Path.GetTempPath());
    }

    private static string Error(string json) => Assert.Throws<ConfigurationException>(() => Load(json))!.Message;

    [Test]
    public void The_issue_rules_load_as_written()
    {
        var policy = Load("""
            { "Masking": [
              { "Name": "pii-columns", "Match": { "Groups": [ "analysts" ] },
                "Columns": [ "public.customers.ssn", "public.accounts.number" ], "Operator": "Partial", "Keep": 4 },
              { "Name": "detect-everywhere", "Detectors": [ "us-ssn", "payment-card", "email", "phone", "iban", "aba-routing" ], "Operator": "Redact" } ] }
            """);
        Assert.That(policy.Rules.Select(r => r.Name), Is.EqualTo(new[] { "pii-columns", "detect-everywhere" }));
        Assert.That(policy.Rules[0].Operator, Is.TypeOf<PartialOperator>().With.Property("Keep").EqualTo(4));
        Assert.That(policy.Rules[1].Detectors!.Detectors.Select(d => d.Name), Is.EqualTo(new[] { "us-ssn", "payment-card", "email", "phone", "iban", "aba-routing" }));

        var analyst = policy.ForSession(new PolicySubject("alice", ["analysts"], "bank"))!;
        Assert.That(analyst.HasColumnRules, Is.True);
        Assert.That(analyst.ColumnRuleFor(new([ "public.customer_view.tax_id", "public.customers.ssn" ]))?.Rule, Is.EqualTo("pii-columns"));
        var engineer = policy.ForSession(new PolicySubject("bob", ["engineers"], "bank"))!;
        Assert.That((engineer.HasColumnRules, engineer.HasDetectorRules), Is.EqualTo((false, true)));
    }

    [Test]
    public void No_rule_for_a_subject_means_no_masking()
    {
        var policy = Load("""{ "Masking": [ { "Name": "r", "Match": { "Users": [ "carol" ] }, "Columns": [ "public.t.c" ] } ] }""");
        Assert.That(policy.ForSession(new PolicySubject("alice", [], "bank")), Is.Null);
    }

    [TestCase("\"PUBLIC\".Customers.SSN", "PUBLIC.customers.ssn")]
    [TestCase("public.\"Odd.Name\".\"a\"\"b\"", "public.Odd.Name.a\"b")]
    public void Column_names_fold_like_postgresql(string configured, string expected)
    {
        Assert.That(ColumnNames.TryNormalize(configured, out var normalized, out var error), Is.True, error);
        Assert.That(normalized, Is.EqualTo(expected));
    }

    [TestCase("""{ "Masking": [ { "Name": "r", "Columns": [ "customers.ssn" ] } ] }""", "Masking:0:Columns", "schema.table.column")]
    [TestCase("""{ "Masking": [ { "Name": "r" } ] }""", "Masking:0", "needs Columns, Detectors, or both")]
    [TestCase("""{ "Masking": [ { "Name": "r", "Detectors": [ "us-sn" ] } ] }""", "Masking:0:Detectors", "unknown detector 'us-sn'")]
    [TestCase("""{ "Masking": [ { "Name": "r", "Columns": [ "a.b.c" ], "Keep": 2 } ] }""", "Masking:0:Keep", "does not apply to Operator Redact")]
    [TestCase("""{ "Masking": [ { "Name": "r", "Columns": [ "a.b.c" ], "Operator": "Hash", "HashKey": "short" } ] }""", "Masking:0:HashKey", "is 5 bytes")]
    [TestCase("""{ "Masking": [ { "Name": "r", "Columns": [ "a.b.c" ], "Operator": "Hash" } ] }""", "Masking:0:HashKey", "exactly one of HashKey or HashKeyFile")]
    [TestCase("""{ "Masking": [ { "Name": "r", "Columns": [ "a.b.c" ], "Operator": "Scramble" } ] }""", "Masking:0:Operator", "is not one of")]
    [TestCase("""{ "Masking": [ { "Name": "r", "Column": [ "a.b.c" ] } ] }""", "Masking:0:Column", "is not a known key")]
    [TestCase("""{ "Masking": [ { "Name": "r", "Match": { "Classes": [ "READ" ] }, "Columns": [ "a.b.c" ] } ] }""", "Masking:0:Match:Classes", "is not a known key")]
    [TestCase("""{ "Masking": [ { "Name": "r", "Columns": [ "a.b.c" ] }, { "Name": "r", "Columns": [ "a.b.d" ] } ] }""", "Masking:1:Name", "must be unique")]
    [TestCase("""{ "MaskingDetectors": [ { "Name": "email" , "Pattern": "x" } ], "Masking": [ { "Name": "r", "Detectors": [ "email" ] } ] }""", "MaskingDetectors", "already taken")]
    [TestCase("""{ "MaskingDetectors": [ { "Name": "bad", "Pattern": "(" } ], "Masking": [ { "Name": "r", "Detectors": [ "bad" ] } ] }""", "MaskingDetectors:0", "")]
    public void Mistakes_are_refused_naming_the_key(string json, string key, string text)
    {
        var message = Error(json);
        Assert.That(message, Does.Contain(key));
        Assert.That(message, Does.Contain(text));
    }

    [Test]
    public void A_hash_key_never_appears_in_an_error()
    {
        var message = Error("""{ "Masking": [ { "Name": "r", "Columns": [ "a.b.c" ], "Operator": "Hash", "HashKey": "short-secret" } ] }""");
        Assert.That(message, Does.Not.Contain("short-secret"));
    }

    [Test]
    public void A_hash_key_file_is_read_relative_to_the_configuration()
    {
        var folder = Directory.CreateTempSubdirectory("hoopproxy-key-");
        try
        {
            File.WriteAllBytes(Path.Combine(folder.FullName, "mask.key"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            var policy = Load("""{ "Masking": [ { "Name": "r", "Columns": [ "a.b.c" ], "Operator": "Hash", "HashKeyFile": "mask.key" } ] }""", folder.FullName);
            Assert.That(policy.Rules[0].Operator, Is.TypeOf<HashOperator>());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
