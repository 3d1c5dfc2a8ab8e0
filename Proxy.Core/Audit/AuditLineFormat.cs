using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace HoopProxy.Core.Audit;

/// <summary>
/// The byte-exact shape of a line, shared by the writer and the verifier (docs/audit-trail.md, "Chain"). A line is one
/// JSON object that starts <c>{"seq":N,"prev":"…",</c> and ends <c>,"hash":"…"}</c>; its hash is SHA-256 over the same
/// bytes with that last member removed (<c>…}</c>). A checkpoint's <c>,"signature":"…"</c> comes just before the hash
/// and signs the line without both. Because JSON escapes every quote inside a string, <c>,"hash":"</c> can only be the
/// member itself, so anyone can check a line with a text tool and <c>sha256sum</c>.
/// </summary>
public static class AuditLineFormat
{
    public const int HashHexLength = 64;

    /// <summary>The <c>prev</c> of the first line.</summary>
    public static readonly string ZeroHash = new('0', HashHexLength);

    /// <summary>Longest line a reader accepts; the writer keeps events far below it (statement text is cut at <see cref="MaxActionLength"/>).</summary>
    public const int MaxLineBytes = 1024 * 1024;

    /// <summary>Characters of <see cref="AuditEvent.Action"/> kept; the recording keeps the whole statement.</summary>
    public const int MaxActionLength = 64 * 1024;

    private static ReadOnlySpan<byte> HashMember => ",\"hash\":\""u8;
    private static ReadOnlySpan<byte> SignatureMember => ",\"signature\":\""u8;

    public static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary><c>{"seq":N,"prev":"H",</c> + <paramref name="members"/> + <c>}</c>: the bytes a line's hash covers.</summary>
    public static byte[] Body(long seq, string previousHash, ReadOnlySpan<byte> members)
    {
        var buffer = new ArrayBufferWriter<byte>(members.Length + 120);
        buffer.Write("{\"seq\":"u8);
        var digits = buffer.GetSpan(20);
        Utf8Formatter.TryFormat(seq, digits, out var written);
        buffer.Advance(written);
        buffer.Write(",\"prev\":\""u8);
        buffer.Write(Encoding.ASCII.GetBytes(previousHash));
        buffer.Write("\","u8);
        buffer.Write(members);
        buffer.Write("}"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The stored line for <paramref name="body"/>, with its hash and the LF; <paramref name="hash"/> is the new chain head.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> body, out string hash)
    {
        hash = Hash(body);
        var line = AppendMember(body, HashMember, hash);
        Array.Resize(ref line, line.Length + 1);
        line[^1] = (byte)'\n';
        return line;
    }

    /// <summary>A checkpoint's body with its <c>signature</c> member (base64 of the signature over <paramref name="body"/>).</summary>
    public static byte[] WithSignature(ReadOnlySpan<byte> body, ReadOnlySpan<byte> signature) =>
        AppendMember(body, SignatureMember, Convert.ToBase64String(signature));

    /// <summary>
    /// Splits a stored line (without its LF) into the bytes its hash covers and the hash it states; false when it does not
    /// end with a well-formed hash member (64 lowercase hex digits).
    /// </summary>
    public static bool TrySplitHash(ReadOnlySpan<byte> line, out byte[] covered, out string statedHash)
    {
        covered = [];
        statedHash = "";
        var at = line.LastIndexOf(HashMember);
        if (at < 0 || line.Length - at != HashMember.Length + HashHexLength + 2 || !line.EndsWith("\"}"u8))
        {
            return false;
        }

        var hex = line.Slice(at + HashMember.Length, HashHexLength);
        foreach (var b in hex)
        {
            if (!char.IsAsciiHexDigitLower((char)b))
            {
                return false;
            }
        }

        statedHash = Encoding.ASCII.GetString(hex);
        covered = WithoutTail(line, at);
        return true;
    }

    /// <summary>Splits a checkpoint's hashed bytes into the bytes its signature covers and the signature.</summary>
    public static bool TrySplitSignature(ReadOnlySpan<byte> covered, out byte[] signed, out byte[] signature)
    {
        signed = [];
        signature = [];
        var at = covered.LastIndexOf(SignatureMember);
        if (at < 0 || !covered.EndsWith("\"}"u8) || covered.Length - at < SignatureMember.Length + 2)
        {
            return false;
        }

        var text = Encoding.ASCII.GetString(covered[(at + SignatureMember.Length)..^2]);
        try
        {
            signature = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return false;
        }

        signed = WithoutTail(covered, at);
        return true;
    }

    /// <summary>ISO 8601 UTC with 7 fractional digits, as the recordings write times.</summary>
    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static byte[] AppendMember(ReadOnlySpan<byte> body, ReadOnlySpan<byte> memberStart, string value)
    {
        var line = new byte[body.Length - 1 + memberStart.Length + value.Length + 2];
        body[..^1].CopyTo(line);
        var at = body.Length - 1;
        memberStart.CopyTo(line.AsSpan(at));
        at += memberStart.Length;
        at += Encoding.ASCII.GetBytes(value, line.AsSpan(at));
        "\"}"u8.CopyTo(line.AsSpan(at));
        return line;
    }

    private static byte[] WithoutTail(ReadOnlySpan<byte> line, int memberAt)
    {
        var result = new byte[memberAt + 1];
        line[..memberAt].CopyTo(result);
        result[^1] = (byte)'}';
        return result;
    }
}
