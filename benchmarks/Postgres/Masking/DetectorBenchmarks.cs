using BenchmarkDotNet.Attributes;
using HoopProxy.Postgres.Masking;

namespace HoopProxy.Benchmarks.Postgres.Masking;

/// <summary>
/// <see cref="ValueMasker.Mask"/> of one value with all six built-in detectors (the issue's <c>detect-everywhere</c>
/// rule: us-ssn, payment-card, email, phone, iban, aba-routing) and Redact: what masking costs per column value.
/// </summary>
[MemoryDiagnoser]
public class DetectorBenchmarks
{
    /// <summary>20 characters, a digit run that is nothing: the common case for a short text column.</summary>
    private const string ShortText = "Berlin, order #4242.";

    /// <summary>200 characters of free text with one SSN and one card number.</summary>
    private const string FreeTextWithSsnAndCard =
        "Customer called about the invoice. Verified identity with SSN 536-22-8726 and the card on file " +
        "4111 1111 1111 1111; refund of 42.50 EUR approved, ticket #88123 closed by agent 17 on 2024-03-02 10:30!!";

    /// <summary>200 characters of free text with digits, dates and amounts but nothing sensitive.</summary>
    private const string FreeTextNoMatch =
        "Customer called about the invoice. Verified identity with the usual questions and the order on file " +
        "#4111-1111; refund of 42.50 EUR approved, ticket #88123 closed by agent 17 on 2024-03-02 at 10:30 ok";

    /// <summary>30 characters whose content is a card number.</summary>
    private const string CardValue = "Visa 4111-1111-1111-1111 12/29";

    private ValueMasker _masker = null!;

    [GlobalSetup]
    public void Setup()
    {
        var catalog = new DetectorCatalog();
        _masker = new ValueMasker(
            catalog.Resolve([DetectorNames.UsSsn, DetectorNames.PaymentCard, DetectorNames.Email, DetectorNames.Phone, DetectorNames.Iban, DetectorNames.AbaRouting]),
            new RedactOperator());
        if (ShortText.Length != 20 || FreeTextWithSsnAndCard.Length != 200 || FreeTextNoMatch.Length != 200 || CardValue.Length != 30)
        {
            throw new InvalidOperationException("the benchmark inputs do not have their documented lengths");
        }

        if (_masker.Mask(ShortText).Changed || _masker.Mask(FreeTextNoMatch).Changed ||
            _masker.Mask(FreeTextWithSsnAndCard).MatchCount != 2 || _masker.Mask(CardValue).Text != "Visa [REDACTED:payment-card] 12/29")
        {
            throw new InvalidOperationException("the benchmark inputs do not mask as documented");
        }
    }

    /// <summary>Nothing matches. Expected: 0 B.</summary>
    [Benchmark(Baseline = true)]
    public MaskedValue ShortNoMatch() => _masker.Mask(ShortText);

    /// <summary>Nothing matches in 200 characters. Expected: 0 B.</summary>
    [Benchmark]
    public MaskedValue FreeText200NoMatch() => _masker.Mask(FreeTextNoMatch);

    /// <summary>Two matches replaced. Allocates the masked string and the counts array.</summary>
    [Benchmark]
    public MaskedValue FreeText200SsnAndCard() => _masker.Mask(FreeTextWithSsnAndCard);

    /// <summary>One match replaced. Allocates the masked string and the counts array.</summary>
    [Benchmark]
    public MaskedValue CardNumber30() => _masker.Mask(CardValue);
}
