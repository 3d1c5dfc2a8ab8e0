using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>
/// StartupMessage (untyped): the protocol version and the connection parameters (user, database,
/// application_name, options …), in the order the client sent them.
/// </summary>
public sealed record StartupMessage(int ProtocolVersion, IReadOnlyList<KeyValuePair<string, string>> Parameters)
{
    public string? this[string name] => Parameters.FirstOrDefault(p => p.Key == name).Value;

    /// <summary>Parses the packet after its length and version fields; false on a missing terminator or an unpaired name.</summary>
    public static bool TryParse(int protocolVersion, ReadOnlySequence<byte> parameters, out StartupMessage message)
    {
        var reader = new SequenceReader<byte>(parameters);
        var list = new List<KeyValuePair<string, string>>();
        message = new StartupMessage(protocolVersion, list);
        while (PgBufferReader.TryReadCString(ref reader, out string name))
        {
            if (name.Length == 0)
            {
                return reader.End;
            }

            if (!PgBufferReader.TryReadCString(ref reader, out string value))
            {
                return false;
            }

            list.Add(new KeyValuePair<string, string>(name, value));
        }

        return false;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var length = 4 + 4 + 1 + Parameters.Sum(p => MessageSpanWriter.CStringLength(p.Key) + MessageSpanWriter.CStringLength(p.Value));
        var writer = new MessageSpanWriter(output.GetSpan(length));
        writer.WriteInt32(length);
        writer.WriteInt32(ProtocolVersion);
        foreach (var (name, value) in Parameters)
        {
            writer.WriteCString(name);
            writer.WriteCString(value);
        }

        writer.WriteByte(0);
        output.Advance(writer.Position);
    }
}
