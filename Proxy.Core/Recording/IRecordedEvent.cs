using System.Text.Json;
using System.Text.Json.Nodes;

namespace HoopProxy.Core.Recording;

/// <summary>
/// An event that writes its own fields as JSON. Events on the statement path are written per statement, so they
/// go straight to the writer instead of through a <see cref="JsonObject"/> tree.
/// </summary>
public interface IRecordedEvent
{
    /// <summary>The event's type, such as "login", "statement", "outcome", "cancel", "disconnect".</summary>
    string Type { get; }

    /// <summary>Writes the fields as properties of an object the caller has opened.</summary>
    void WriteFields(Utf8JsonWriter writer);
}

/// <summary>An event whose fields are already a JSON object (rare events: login, upstream, disconnect).</summary>
public sealed class JsonRecordedEvent(string type, JsonObject fields) : IRecordedEvent
{
    public string Type { get; } = type;

    public void WriteFields(Utf8JsonWriter writer)
    {
        foreach (var (name, value) in fields)
        {
            writer.WritePropertyName(name);
            if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                value.WriteTo(writer);
            }
        }
    }
}
