using System.Buffers;

namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// Writes a unit with some fields replaced: untouched stretches are copied as they came, byte for byte, in as few
/// writes as possible (a row nobody masked is one write), so passing a row through never renormalises its escaping.
/// </summary>
internal ref struct RowSplice
{
    private readonly ReadOnlySpan<byte> _unit;
    private readonly IBufferWriter<byte> _output;
    private int _copied;

    public RowSplice(ReadOnlySpan<byte> unit, IBufferWriter<byte> output)
    {
        _unit = unit;
        _output = output;
    }

    /// <summary>Writes the untouched bytes before <paramref name="start"/> and drops the original up to <paramref name="end"/>: write the replacement to the returned output next.</summary>
    public IBufferWriter<byte> Replace(int start, int end)
    {
        _output.Write(_unit[_copied..start]);
        _copied = end;
        return _output;
    }

    /// <summary>Writes what is left of the unit.</summary>
    public readonly void Finish() => _output.Write(_unit[_copied..]);
}
