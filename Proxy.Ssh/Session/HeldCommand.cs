using System.Globalization;
using System.Text.Json.Nodes;
using HoopProxy.Core.Approvals;
using HoopProxy.Ssh.Policy;

namespace HoopProxy.Ssh.Session;

/// <summary>An exec request a Review rule holds: the filed approval request, its coming decision, and the request as sent.</summary>
internal sealed record HeldCommand(ApprovalRequest Request, Task<ApprovalDecision> Decision, ChannelRule Rule, bool WantReply, byte[] ExecPayload)
{
    /// <summary>What the stand-in prints when the command will not run.</summary>
    public string Refusal(ApprovalDecision decision) => decision.Outcome switch
    {
        ApprovalOutcome.Denied => $"denied by {decision.DecidedBy} (request {Request.Id}): {decision.Reason}",
        ApprovalOutcome.Withdrawn => $"approval request {Request.Id} was withdrawn: {decision.Reason}",
        _ => $"not approved in time (request {Request.Id}): {decision.Reason}",
    };

    /// <summary>The fields of an <c>approval</c> event, as PostgreSQL sessions record them, with the channel and command.</summary>
    public JsonObject Describe(RelayedChannel channel, string status, ApprovalDecision? decision)
    {
        var fields = new JsonObject
        {
            ["channel"] = channel.Id,
            ["status"] = status,
            ["request"] = Request.Id,
            ["rule"] = Request.Rule,
            ["requester"] = Request.Requester,
            ["command"] = Request.Statement,
            ["requested_at"] = Request.RequestedAt.ToString("O", CultureInfo.InvariantCulture),
        };
        if (decision is null)
        {
            fields["approvers"] = new JsonArray([.. Rule.Approvers.Select(a => (JsonNode)a)]);
            fields["expires_at"] = Request.ExpiresAt.ToString("O", CultureInfo.InvariantCulture);
            return fields;
        }

        fields["decided_by"] = decision.DecidedBy;
        fields["decided_at"] = decision.DecidedAt.ToString("O", CultureInfo.InvariantCulture);
        if (decision.Outcome == ApprovalOutcome.Approved)
        {
            fields["scope"] = decision.Scope.ToString().ToLowerInvariant();
        }

        if (decision.ValidUntil is { } until)
        {
            fields["valid_until"] = until.ToString("O", CultureInfo.InvariantCulture);
        }

        if (decision.Reason is not null)
        {
            fields["reason"] = decision.Reason;
        }

        return fields;
    }
}
