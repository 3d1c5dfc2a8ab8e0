using System.Text.Json.Nodes;
using HoopProxy.Ssh.Connection.Messages;

namespace HoopProxy.Ssh.Session;

/// <summary>
/// Whether the relay opens a channel the client asked for, and what the record says about it: the forwarding
/// destination and the rule that decided. <see cref="Refusal"/> is the text the client's CHANNEL_OPEN_FAILURE carries.
/// </summary>
public sealed record OpenDecision(string? Refusal, TcpipChannelData? Destination = null, string? Rule = null)
{
    public static OpenDecision Open { get; } = new((string?)null);

    public static OpenDecision Refuse(string reason, TcpipChannelData? destination = null, string? rule = null) => new(reason, destination, rule);

    /// <summary>Adds the destination (host, port, originator) and the rule to an event's fields.</summary>
    public JsonObject Describe(JsonObject fields)
    {
        if (Destination is { } destination)
        {
            fields["host"] = destination.Host;
            fields["port"] = destination.Port;
            fields["originator"] = $"{destination.OriginatorAddress}:{destination.OriginatorPort}";
        }

        if (Rule is not null)
        {
            fields["rule"] = Rule;
        }

        return fields;
    }
}
