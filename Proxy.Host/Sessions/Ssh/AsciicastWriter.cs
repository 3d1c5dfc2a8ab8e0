using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>The header line of an asciicast v2 file.</summary>
/// <param name="Timestamp">Wall-clock time of the recording's zero (its events' times are relative to it).</param>
/// <param name="Term">The TERM of the terminal, or null when the channel had none (the header then has no env).</param>
public sealed record AsciicastHeader(int Width, int Height, DateTimeOffset Timestamp, string Title, string? Term);

/// <summary>
/// Writes asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a header line, then one JSON array per event.
/// The event text must be whole UTF-8 characters, but a terminal's bytes arrive in records cut anywhere; each stream
/// keeps its own decoder, which carries an incomplete character over to the stream's next record and turns invalid
/// bytes into U+FFFD.
/// </summary>
public sealed class AsciicastWriter : IDisposable
{
    /// <summary>Text as it is (non-ASCII characters unescaped); control characters are still escaped, as JSON requires.</summary>
    private static readonly JsonWriterOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Stream _output;
    private readonly Utf8JsonWriter _json;
    private readonly Dictionary<(TerminalEventKind, ChannelStream), Decoder> _decoders = [];
    private char[] _chars = new char[4096];

    public AsciicastWriter(Stream output)
    {
        _output = output;
        _json = new Utf8JsonWriter(output, LineOptions);
    }

    public void WriteHeader(AsciicastHeader header)
    {
        _json.WriteStartObject();
        _json.WriteNumber("version", 2);
        _json.WriteNumber("width", header.Width);
        _json.WriteNumber("height", header.Height);
        _json.WriteNumber("timestamp", header.Timestamp.ToUnixTimeSeconds());
        _json.WriteString("title", header.Title);
        if (header.Term is not null)
        {
            _json.WriteStartObject("env");
            _json.WriteString("TERM", header.Term);
            _json.WriteEndObject();
        }

        _json.WriteEndObject();
        EndLine();
    }

    /// <summary>Output ("o") or input ("i") bytes; nothing is written while they hold only the start of a character.</summary>
    public void WriteBytes(TimeSpan at, TerminalEventKind kind, ChannelStream stream, ReadOnlySpan<byte> bytes)
    {
        var decoder = DecoderFor(kind, stream);
        WriteText(at, kind, Decode(decoder, bytes, flush: false));
    }

    public void WriteResize(TimeSpan at, int cols, int rows) =>
        WriteEvent(at, "r", string.Create(CultureInfo.InvariantCulture, $"{cols}x{rows}"));

    /// <summary>A stream that ended inside a character: the incomplete bytes become U+FFFD, at the time of the last event.</summary>
    public void Finish(TimeSpan at)
    {
        foreach (var ((kind, _), decoder) in _decoders)
        {
            WriteText(at, kind, Decode(decoder, [], flush: true));
        }

        _json.Flush();
        _output.Flush();
    }

    public void Dispose() => _json.Dispose();

    private Decoder DecoderFor(TerminalEventKind kind, ChannelStream stream)
    {
        if (!_decoders.TryGetValue((kind, stream), out var decoder))
        {
            // The default UTF-8 decoder replaces invalid bytes with U+FFFD instead of throwing.
            decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
            _decoders[(kind, stream)] = decoder;
        }

        return decoder;
    }

    private ReadOnlySpan<char> Decode(Decoder decoder, ReadOnlySpan<byte> bytes, bool flush)
    {
        var needed = decoder.GetCharCount(bytes, flush);
        if (needed > _chars.Length)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }

        return _chars.AsSpan(0, decoder.GetChars(bytes, _chars, flush));
    }

    private void WriteText(TimeSpan at, TerminalEventKind kind, ReadOnlySpan<char> text)
    {
        if (!text.IsEmpty)
        {
            WriteEvent(at, kind == TerminalEventKind.Input ? "i" : "o", text);
        }
    }

    private void WriteEvent(TimeSpan at, string code, ReadOnlySpan<char> data)
    {
        _json.WriteStartArray();
        // Microseconds, in plain notation (the shortest round-trip form of a double may use an exponent: 1E-05), counted
        // in whole numbers from the 100 ns ticks (half a microsecond rounds up), so no binary fraction decides a digit.
        var micros = (Math.Max(0, at.Ticks) + 5) / 10;
        _json.WriteRawValue($"{micros / 1_000_000}.{micros % 1_000_000:D6}", skipInputValidation: true);
        _json.WriteStringValue(code);
        _json.WriteStringValue(data);
        _json.WriteEndArray();
        EndLine();
    }

    private void EndLine()
    {
        _json.Flush();
        _output.WriteByte((byte)'\n');
        _json.Reset();
    }
}
