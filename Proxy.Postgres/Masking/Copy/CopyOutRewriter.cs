using System.Buffers;
using HoopProxy.Postgres.Masking.Wire;

namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// Masks the data of one <c>COPY … TO STDOUT</c>: each CopyData body goes through <see cref="Rewrite"/>, which writes
/// the rows it completes with their fields passed through the <see cref="IFieldMasker"/> (the caller wraps the output
/// into a CopyData message; it may be empty when the body only began a row). Rows may span bodies and a body may hold
/// several: an unfinished row waits in a carry buffer. At CopyDone call <see cref="Complete"/>.
/// Fails closed: malformed data, a row longer than the limit or a stream ending inside a row throw
/// <see cref="CopyFormatException"/>, nothing of the offending row is written, and every later call throws as well;
/// the caller must then end the statement with an error rather than send on what it has.
/// </summary>
public sealed class CopyOutRewriter : IDisposable
{
    /// <summary>PostgreSQL cannot build a row larger than 1 GB; a longer one is not PostgreSQL talking.</summary>
    public const int DefaultMaxRowBytes = 1 << 30;

    /// <summary>A carry buffer that grew past this for one long row is given back to the pool once the row is done.</summary>
    private const int CarryCapacityKept = 1 << 20;

    private readonly CopyFieldMasking _masking;
    private readonly CopyRowFormat _format;
    private readonly PooledByteBuffer _carry = new();
    private readonly int _maxRowBytes;
    private readonly bool _masksAnything;
    private string? _failure;

    public CopyOutRewriter(CopyOutOptions options, IFieldMasker masker, int maxRowBytes = DefaultMaxRowBytes)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(masker);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRowBytes);
        Options = options;
        _maxRowBytes = maxRowBytes;
        _masksAnything = masker.MasksAnything;
        _masking = new CopyFieldMasking(masker);
        _format = CopyRowFormat.For(options, _masking);
    }

    public CopyOutOptions Options { get; }

    /// <summary>Rewrites one CopyData body, writing to <paramref name="output"/> every unit (row, header, trailer) it completes.</summary>
    public void Rewrite(ReadOnlySequence<byte> copyDataBody, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ThrowIfFailed();
        try
        {
            foreach (var segment in copyDataBody)
            {
                Rewrite(segment.Span, output);
            }
        }
        catch (Exception e)
        {
            _failure = e.Message;
            throw;
        }
    }

    /// <summary>The COPY ended (CopyDone): throws <see cref="CopyFormatException"/> when it ended inside a row or, for binary, before the trailer.</summary>
    public void Complete()
    {
        ThrowIfFailed();
        var problem = _carry.Length > 0
            ? $"the COPY data ended inside a row ({_carry.Length} bytes of it were never completed)"
            : _format.ProblemAtEnd;
        if (problem is not null)
        {
            _failure = problem;
            throw new CopyFormatException(problem);
        }
    }

    public void Dispose()
    {
        _format.Dispose();
        _masking.Dispose();
        _carry.Dispose();
    }

    private void Rewrite(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        while (!data.IsEmpty)
        {
            var unitLength = _format.Scan(data);
            if (unitLength < 0)
            {
                Carry(data);
                return;
            }

            if (_carry.Length == 0)
            {
                WriteUnit(data[..unitLength], output);
            }
            else
            {
                Carry(data[..unitLength]);
                WriteUnit(_carry.WrittenSpan, output);
                _carry.ClearAndShrink(CarryCapacityKept);
            }

            data = data[unitLength..];
        }
    }

    /// <summary>A masker that masks nothing is never asked: the unit is copied whole (it was still scanned, so malformed data still fails).</summary>
    private void WriteUnit(ReadOnlySpan<byte> unit, IBufferWriter<byte> output)
    {
        if (_masksAnything)
        {
            _format.Rewrite(unit, output);
        }
        else
        {
            output.Write(unit);
        }
    }

    private void Carry(ReadOnlySpan<byte> part)
    {
        if ((long)_carry.Length + part.Length > _maxRowBytes)
        {
            throw new CopyFormatException($"a COPY row is longer than {_maxRowBytes} bytes");
        }

        _carry.Write(part);
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null)
        {
            throw new CopyFormatException("the COPY data could not be masked earlier: " + _failure);
        }
    }
}
