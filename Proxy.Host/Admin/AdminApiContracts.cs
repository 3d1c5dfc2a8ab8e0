using System.Text.Json;
using System.Text.Json.Serialization;
using HoopProxy.Core.Approvals;

namespace HoopProxy.Host.Admin;

/// <summary>A pending request as <c>GET /v1/approvals</c> shows it.</summary>
public sealed record ApprovalView(string Id, string Session, string Protocol, string Target, string Requester, string Statement, string Rule,
    IReadOnlyList<string> Approvers, DateTimeOffset RequestedAt, DateTimeOffset ExpiresAt)
{
    public static ApprovalView From(ApprovalRequest request) => new(request.Id, request.SessionId, request.Protocol, request.Target, request.Requester,
        request.Statement, request.Rule, request.Approvers, request.RequestedAt, request.ExpiresAt);
}

/// <summary>Body of <c>POST /v1/approvals/{id}/approve</c>; both fields optional (once, no window).</summary>
public sealed record ApproveBody(string? Scope, string? Window);

/// <summary>Body of <c>POST /v1/approvals/{id}/deny</c>; the reason is required and reaches the client in the error's detail.</summary>
public sealed record DenyBody(string? Reason);

public sealed record MessageBody(string Message);

/// <param name="Code">For a refused token: what was wrong with it (<c>token-expired</c>, <c>token-revoked</c> …), for scripts.</param>
public sealed record ErrorBody(string Error, string? Code = null);

/// <summary>The admin API's JSON: snake_case field names, both for the server and the CLI.</summary>
public static class AdminJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>For request bodies: a misspelt field ("scop") is an error rather than silently the default.</summary>
    public static readonly JsonSerializerOptions StrictRequest = new(Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };
}
