using HoopProxy.Postgres.Masking;

namespace HoopProxy.Tests.Unit.Masking;

internal static class DetectorAssert
{
    /// <summary>The texts of all matches of <paramref name="detector"/> in <paramref name="text"/>, in order.</summary>
    public static string[] Found(IDetector detector, string text)
    {
        var found = new List<string>();
        foreach (var match in detector.EnumerateMatches(text))
        {
            found.Add(text.Substring(match.Start, match.Length));
        }

        return [.. found];
    }
}
