using System.Security.Cryptography;
using HoopProxy.Core.Approvals;

namespace HoopProxy.Host.Admin;

/// <summary>Turns a bearer token into the approver it belongs to, in time that does not depend on how much of it matched.</summary>
public sealed class ApproverAuthenticator(IReadOnlyList<ApproverCredential> approvers)
{
    /// <summary>The approver whose token this is; null for a missing or unknown token.</summary>
    public ApproverIdentity? Authenticate(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        // Digests have a fixed length, so FixedTimeEquals compares all 32 bytes whatever the presented token's length;
        // every credential is compared (no early exit) so the time does not tell which approver was close.
        var presented = ApproverCredential.Digest(token);
        ApproverCredential? match = null;
        foreach (var approver in approvers)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, approver.TokenSha256))
            {
                match = approver;
            }
        }

        return match is null ? null : new ApproverIdentity(match.Name, match.Groups);
    }

    /// <summary>The token of an <c>Authorization: Bearer &lt;token&gt;</c> header; null for any other scheme or none.</summary>
    public static string? BearerToken(string? authorization)
    {
        const string scheme = "Bearer ";
        return authorization is not null && authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            ? authorization[scheme.Length..].Trim()
            : null;
    }
}
