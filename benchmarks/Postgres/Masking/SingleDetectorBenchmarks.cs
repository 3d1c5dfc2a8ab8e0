using BenchmarkDotNet.Attributes;
using HoopProxy.Postgres.Masking;

namespace HoopProxy.Benchmarks.Postgres.Masking;

/// <summary>
/// One detector scanning the 200-character no-match text of <see cref="DetectorBenchmarks"/> to its end: where the
/// per-value cost of <see cref="DetectorBenchmarks.FreeText200NoMatch"/> goes. Expected: 0 B for every detector.
/// </summary>
[MemoryDiagnoser]
public class SingleDetectorBenchmarks
{
    private const string FreeTextNoMatch =
        "Customer called about the invoice. Verified identity with the usual questions and the order on file " +
        "#4111-1111; refund of 42.50 EUR approved, ticket #88123 closed by agent 17 on 2024-03-02 at 10:30 ok";

    private IDetector _detector = null!;

    [Params(DetectorNames.UsSsn, DetectorNames.PaymentCard, DetectorNames.Email, DetectorNames.Phone, DetectorNames.Iban, DetectorNames.AbaRouting)]
    public string Detector { get; set; } = DetectorNames.UsSsn;

    [GlobalSetup]
    public void Setup()
    {
        if (!new DetectorCatalog().TryGet(Detector, out _detector))
        {
            throw new InvalidOperationException($"no detector {Detector}");
        }

        if (_detector.TryFindNext(FreeTextNoMatch, 0, out _))
        {
            throw new InvalidOperationException("the benchmark input matches");
        }
    }

    [Benchmark]
    public bool Scan() => _detector.TryFindNext(FreeTextNoMatch, 0, out _);
}
