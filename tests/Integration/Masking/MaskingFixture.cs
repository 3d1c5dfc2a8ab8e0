using HoopProxy.Postgres.Masking.Rules;
using HoopProxy.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace HoopProxy.Tests.Integration.Masking;

/// <summary>
/// The data every masking test reads: customers with SSNs, e-mail addresses, free-text notes, JSON profiles and phone
/// arrays; accounts with numbers; a view renaming the SSN. Known sensitive values, so a test can look for them.
/// </summary>
public static class MaskingFixture
{
    public const string Ssn = "536-22-8726";
    public const string OtherSsn = "212-09-4421";
    public const string Email = "ann.lee@example.com";
    public const string Card = "4111 1111 1111 1111";
    public const string CardDigits = "4111111111111111";
    public const string Phone = "(202) 555-0143";
    public const string Iban = "DE89370400440532013000";
    public const string AccountNumber = "9876543210";

    /// <summary>The values no client of a masked session may ever see, in any form the tests produce.</summary>
    public static readonly string[] SensitiveValues = [Ssn, OtherSsn, Email, Card, CardDigits, Phone, Iban, AccountNumber, "8765-4321-00"];

    /// <summary>The issue's rules, as written, and Users alice (analysts) and bob (engineers) from <see cref="ProxyInstance.DefaultUsers"/>.</summary>
    public const string IssueRules = """
        {
          "Masking": [
            { "Name": "pii-columns", "Match": { "Groups": [ "analysts" ] },
              "Columns": [ "public.customers.ssn", "public.accounts.number" ],
              "Operator": "Partial", "Keep": 4 },
            { "Name": "detect-everywhere",
              "Detectors": [ "us-ssn", "payment-card", "email", "phone", "iban", "aba-routing" ],
              "Operator": "Redact" }
          ]
        }
        """;

    public static MaskingPolicy Load(string json)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        var configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();
        return MaskingConfiguration.FromConfiguration(configuration.GetSection("Masking"), configuration.GetSection("MaskingDetectors"), Path.GetTempPath());
    }

    public static async Task ResetAsync()
    {
        await using var direct = new NpgsqlConnection(TestCluster.DirectConnectionString());
        await direct.OpenAsync();
        await using var command = new NpgsqlCommand($$"""
            DROP VIEW IF EXISTS public.customer_contacts;
            DROP TABLE IF EXISTS public.accounts;
            DROP TABLE IF EXISTS public.customers;
            CREATE TABLE public.customers (id int PRIMARY KEY, name text, ssn text UNIQUE, email text, notes text, profile jsonb, phones text[]);
            CREATE TABLE public.accounts (id int PRIMARY KEY, customer_id int, number text, balance numeric);
            INSERT INTO public.customers VALUES
              (1, 'Ann Lee', '{{Ssn}}', '{{Email}}', 'called from {{Phone}} about card {{Card}}', '{"ssn": "{{Ssn}}", "iban": "{{Iban}}", "city": "Berlin"}', '{"{{Phone}}","+49 30 1234567"}'),
              (2, 'Bo Ray', '{{OtherSsn}}', 'bo@example.org', 'no issues', '{"city": "Oslo"}', '{}');
            INSERT INTO public.accounts VALUES (10, 1, '{{AccountNumber}}', 1250.50), (11, 2, '8765-4321-00', 10);
            CREATE VIEW public.customer_contacts AS SELECT c.id, c.ssn AS tax_id, c.email, upper(c.name) AS shout FROM public.customers c;
            """, direct);
        await command.ExecuteNonQueryAsync();
    }
}
