using System.Globalization;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>A time of a session's clock as a person types it: seconds (<c>12.5</c>), <c>mm:ss</c> or <c>hh:mm:ss</c>, with fractions.</summary>
public static class SessionTime
{
    public static bool TryParse(string text, out TimeSpan time)
    {
        time = default;
        var parts = text.Trim().Split(':');
        if (parts.Length > 3 || parts.Any(p => p.Length == 0))
        {
            return false;
        }

        // Only the last part (the seconds) may have a fraction; minutes and hours are whole and the minutes and seconds
        // of mm:ss are below 60, so "1:75" is refused rather than guessed at.
        if (!double.TryParse(parts[^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            || (parts.Length > 1 && seconds >= 60))
        {
            return false;
        }

        double total = seconds;
        var scale = 60.0;
        for (var i = parts.Length - 2; i >= 0; i--, scale *= 60)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var whole) || (i > 0 && whole >= 60))
            {
                return false;
            }

            total += whole * scale;
        }

        time = TimeSpan.FromSeconds(total);
        return true;
    }

    /// <summary>As <c>sessions show</c> prints times: <c>+12.345s</c>.</summary>
    public static string Format(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"+{time.TotalSeconds:0.000}s");
}
