using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using BenchmarkDotNet.Attributes;
using HoopProxy.Postgres.Masking;
using HoopProxy.Postgres.Masking.Rules;
using HoopProxy.Postgres.Masking.Wire;

namespace HoopProxy.Benchmarks.Postgres.Masking;

/// <summary>
/// One DataRow of the end-to-end table <c>big</c> (int, md5 text, 30 x's) through <see cref="DataRowRewriter"/>: with the
/// two text columns under a Partial column rule, and with the six detectors on both text columns. The relay's cost
/// per row beyond forwarding it, and what it allocates.
/// </summary>
[MemoryDiagnoser]
public class RowMaskingBenchmarks
{
    private readonly DataRowRewriter _rewriter = new();
    private readonly ArrayBufferWriter<byte> _output = new(256);
    private ReadOnlySequence<byte> _row;
    private RowsPlan _twoColumns = null!;
    private RowsPlan _allDetectors = null!;

    [GlobalSetup]
    public void Setup()
    {
        _row = new ReadOnlySequence<byte>(DataRowBody(["4242", "0b2c7d6b1a9f6e8c3d5a4b7e9f1c2d3e", new string('x', 30)]));
        var partial = new PartialOperator(4);
        _twoColumns = new RowsPlan(new ResultMaskPlan(
            [
                new ResultColumn("g", ValueKind.NonText, null),
                new ResultColumn("public.big.h", ValueKind.Text, new ColumnMask("public.big.h", "two-columns", partial)),
                new ResultColumn("public.big.pad", ValueKind.Text, new ColumnMask("public.big.pad", "two-columns", partial)),
            ], []), [false, false, false]);
        var catalog = new DetectorCatalog();
        var detectors = new ValueMasker(catalog.Resolve([DetectorNames.UsSsn, DetectorNames.PaymentCard, DetectorNames.Email, DetectorNames.Phone,
            DetectorNames.Iban, DetectorNames.AbaRouting]), new RedactOperator());
        _allDetectors = new RowsPlan(new ResultMaskPlan(
            [
                new ResultColumn("g", ValueKind.NonText, null),
                new ResultColumn("public.big.h", ValueKind.Text, null),
                new ResultColumn("public.big.pad", ValueKind.Text, null),
            ], [new DetectorMask("detect-everywhere", detectors)]), [false, false, false]);
    }

    [Benchmark(Baseline = true)]
    public int TwoMaskedColumns()
    {
        _output.ResetWrittenCount();
        if (_rewriter.TryMask(_row, _twoColumns))
        {
            _rewriter.WriteMasked(_output);
        }

        return _output.WrittenCount;
    }

    [Benchmark]
    public int AllDetectorsNothingFound()
    {
        _output.ResetWrittenCount();
        if (_rewriter.TryMask(_row, _allDetectors))
        {
            _rewriter.WriteMasked(_output);
        }

        return _output.WrittenCount;
    }

    private static byte[] DataRowBody(string[] values)
    {
        var encoded = values.Select(Encoding.UTF8.GetBytes).ToArray();
        var body = new byte[2 + encoded.Sum(v => 4 + v.Length)];
        BinaryPrimitives.WriteInt16BigEndian(body, (short)values.Length);
        var position = 2;
        foreach (var value in encoded)
        {
            BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(position), value.Length);
            value.CopyTo(body, position + 4);
            position += 4 + value.Length;
        }

        return body;
    }
}
