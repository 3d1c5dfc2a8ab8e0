using HoopProxy.Core.Recording;

namespace HoopProxy.Host.Sessions;

/// <summary>
/// The verifier's check of one session before its content is shown. <c>replay</c> and the asciicast export refuse a
/// session that fails it (unless told <c>--unverified</c>): what they produce is watched or passed on as the session
/// itself, with nothing around it to say it was altered. <c>show</c> and the json/text exports only warn, on stderr.
/// </summary>
public static class SessionIntegrity
{
    private const int ProblemsListed = 5;

    /// <summary>True when the session verifies, or when <paramref name="proceedAnyway"/>; the problems go to <paramref name="errors"/> either way.</summary>
    public static bool Check(RecordingOptions options, string sessionId, TextWriter errors, bool proceedAnyway, string refusalHint)
    {
        VerificationReport report;
        try
        {
            report = new RecordingVerifier([RecordingSigningKey.Load(options.SigningKeyFile).PublicKey]).VerifySession(options.Directory, sessionId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException)
        {
            errors.WriteLine($"session {sessionId} cannot be verified: the signing key cannot be read: {e.Message}");
            return proceedAnyway;
        }

        if (report.IsValid)
        {
            return true;
        }

        errors.WriteLine(proceedAnyway
            ? $"warning: session {sessionId} fails verification ({report.Problems.Count} problems): it may have been altered"
            : $"session {sessionId} fails verification ({report.Problems.Count} problems): refused. {refusalHint}");
        foreach (var problem in report.Problems.Take(ProblemsListed))
        {
            errors.WriteLine($"  {problem}");
        }

        if (report.Problems.Count > ProblemsListed)
        {
            errors.WriteLine($"  … {report.Problems.Count - ProblemsListed} more: hoopproxy sessions verify {sessionId}");
        }

        return proceedAnyway;
    }
}
