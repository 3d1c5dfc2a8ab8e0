using System.Collections.Frozen;
using System.Text.Json;
using HoopProxy.Core.Identity.Oidc;

namespace HoopProxy.Core.Identity.Revocation;

/// <summary>
/// One version of the revocation list, immutable. The file:
/// <code>
/// {
///   "tokenIds":        [ "b7c1e0c2-…" ],
///   "keyFingerprints": [ "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", "jwk:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" ],
///   "subjects":        [ "00u1f2abcd" ],
///   "users":           [ "mallory@example.test" ]
/// }
/// </code>
/// Every list is optional; <c>{}</c> revokes nothing. Comments and trailing commas are allowed (people edit it by
/// hand); any other key, a value that is not a non-empty string, or broken JSON rejects the whole file.
/// </summary>
public sealed class RevocationSet
{
    public static readonly RevocationSet Empty = new([], [], [], []);

    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private RevocationSet(IEnumerable<string> tokenIds, IEnumerable<string> keyFingerprints, IEnumerable<string> subjects, IEnumerable<string> users)
    {
        // Ids, fingerprints and subjects are opaque and case-sensitive (base64 is); names are compared ignoring case,
        // because revoking "Mallory" must not miss "mallory" (over-matching a revocation is the safe side).
        TokenIds = tokenIds.ToFrozenSet(StringComparer.Ordinal);
        KeyFingerprints = keyFingerprints.ToFrozenSet(StringComparer.Ordinal);
        Subjects = subjects.ToFrozenSet(StringComparer.Ordinal);
        Users = users.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        Entries = [
            .. TokenIds.Order(StringComparer.Ordinal).Select(v => new RevocationMatch(RevocationKind.TokenId, v)),
            .. KeyFingerprints.Order(StringComparer.Ordinal).Select(v => new RevocationMatch(RevocationKind.KeyFingerprint, v)),
            .. Subjects.Order(StringComparer.Ordinal).Select(v => new RevocationMatch(RevocationKind.Subject, v)),
            .. Users.Order(StringComparer.Ordinal).Select(v => new RevocationMatch(RevocationKind.User, v)),
        ];
    }

    public FrozenSet<string> TokenIds { get; }
    public FrozenSet<string> KeyFingerprints { get; }
    public FrozenSet<string> Subjects { get; }
    public FrozenSet<string> Users { get; }

    /// <summary>Every entry, for diffs and logs.</summary>
    public IReadOnlyList<RevocationMatch> Entries { get; }

    public int Count => Entries.Count;

    /// <summary>Whether a token's bearer is revoked: by its token id, signing key, subject or name.</summary>
    public RevocationMatch? Match(TokenIdentity identity) =>
        Match(user: identity.Name, subject: identity.Subject, tokenId: identity.TokenId, keyFingerprint: identity.SigningKeyFingerprint);

    /// <summary>
    /// Whether any of the credentials given is revoked; pass what the login has (a configured user: the name; an SSH
    /// key login: the name and the key's <c>SHA256:</c> fingerprint). The most specific entry is reported.
    /// </summary>
    public RevocationMatch? Match(string? user = null, string? subject = null, string? tokenId = null, string? keyFingerprint = null)
    {
        if (tokenId is not null && TokenIds.Contains(tokenId))
        {
            return new RevocationMatch(RevocationKind.TokenId, tokenId);
        }

        if (keyFingerprint is not null && KeyFingerprints.Contains(keyFingerprint))
        {
            return new RevocationMatch(RevocationKind.KeyFingerprint, keyFingerprint);
        }

        if (subject is not null && Subjects.Contains(subject))
        {
            return new RevocationMatch(RevocationKind.Subject, subject);
        }

        return user is not null && Users.Contains(user) ? new RevocationMatch(RevocationKind.User, user) : null;
    }

    /// <summary>Reads the file's text.</summary>
    /// <exception cref="FormatException">Not the format above; the message says where.</exception>
    public static RevocationSet Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, Lenient);
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("the file must be a JSON object such as { \"tokenIds\": [ \"…\" ] }");
            }

            var lists = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase)
            {
                ["tokenIds"] = [],
                ["keyFingerprints"] = [],
                ["subjects"] = [],
                ["users"] = [],
            };
            foreach (var property in document.RootElement.EnumerateObject())
            {
                // A misspelt list ("tokenID") would revoke nothing without a word; refuse the file instead.
                if (!lists.TryGetValue(property.Name, out var list))
                {
                    throw new FormatException($"'{property.Name}' is not a known key; expected tokenIds, keyFingerprints, subjects, users");
                }

                ReadStrings(property, list);
            }

            return new RevocationSet(lists["tokenIds"], lists["keyFingerprints"], lists["subjects"], lists["users"]);
        }
    }

    private static void ReadStrings(JsonProperty property, List<string> into)
    {
        if (property.Value.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"'{property.Name}' must be an array of strings");
        }

        var index = 0;
        foreach (var item in property.Value.EnumerateArray())
        {
            // Trimmed: a stray space copied with an id would otherwise never match.
            var value = item.ValueKind == JsonValueKind.String ? item.GetString()!.Trim() : "";
            if (value.Length == 0)
            {
                throw new FormatException($"'{property.Name}[{index}]' must be a non-empty string");
            }

            into.Add(value);
            index++;
        }
    }
}
