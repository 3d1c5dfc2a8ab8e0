using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Core.Configuration;

/// <summary>
/// Reads typed values from a configuration section and fails with the full key path.
/// Binding by hand (rather than ConfigurationBinder) is what lets every error name the bad key.
/// </summary>
public static class ConfigReader
{
    public static string RequiredString(this IConfigurationSection section, string key)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ConfigurationException(Path(section, key), "is required");
        }

        return value;
    }

    public static string? OptionalString(this IConfigurationSection section, string key)
    {
        var value = section[key];
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    public static int Int(this IConfigurationSection section, string key, int defaultValue, int min, int max)
    {
        var raw = section[key];
        if (raw is null)
        {
            return defaultValue;
        }

        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new ConfigurationException(Path(section, key), $"'{raw}' is not a whole number from {min} to {max}");
        }

        return value;
    }

    public static TimeSpan Duration(this IConfigurationSection section, string key, TimeSpan defaultValue)
    {
        var raw = section[key];
        if (raw is null)
        {
            return defaultValue;
        }

        // Timers take at most ~49 days; a day is already far beyond any sensible timeout here.
        if (TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero && value <= TimeSpan.FromDays(1))
        {
            return value;
        }

        throw new ConfigurationException(Path(section, key), $"'{raw}' is not a duration from 00:00:00.001 to 1.00:00:00, such as 00:00:30");
    }

    public static bool Bool(this IConfigurationSection section, string key, bool defaultValue)
    {
        var raw = section[key];
        if (raw is null)
        {
            return defaultValue;
        }

        return bool.TryParse(raw, out var value)
            ? value
            : throw new ConfigurationException(Path(section, key), $"'{raw}' is not true or false");
    }

    public static TEnum Enum<TEnum>(this IConfigurationSection section, string key, TEnum defaultValue)
        where TEnum : struct, System.Enum
    {
        var raw = section[key];
        if (raw is null)
        {
            return defaultValue;
        }

        var normalized = raw.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        if (System.Enum.TryParse<TEnum>(normalized, ignoreCase: true, out var value) && System.Enum.IsDefined(value))
        {
            return value;
        }

        throw new ConfigurationException(Path(section, key),
            $"'{raw}' is not one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");
    }

    public static IReadOnlyList<string> StringList(this IConfigurationSection section, string key) =>
        section.GetSection(key).GetChildren().Select(c => c.Value ?? "").Where(v => v.Length > 0).ToArray();

    /// <summary>Parses <c>host:port</c>, <c>[v6]:port</c> or <c>*:port</c>.</summary>
    public static IPEndPoint EndPoint(this IConfigurationSection section, string key)
    {
        var raw = section.RequiredString(key);
        var colon = raw.LastIndexOf(':');
        if (colon > 0
            && int.TryParse(raw.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is >= 0 and <= 65535)
        {
            var host = raw[..colon].Trim('[', ']');
            if (host is "*" or "0.0.0.0")
            {
                return new IPEndPoint(IPAddress.Any, port);
            }

            if (host == "localhost")
            {
                return new IPEndPoint(IPAddress.Loopback, port);
            }

            if (IPAddress.TryParse(host, out var address))
            {
                return new IPEndPoint(address, port);
            }
        }

        throw new ConfigurationException(Path(section, key), $"'{raw}' is not an address:port such as 127.0.0.1:15432");
    }

    public static string Path(IConfigurationSection section, string key) => $"{section.Path}:{key}";

    /// <summary>A misspelt key ("Command" for "Commands") would silently widen a rule; refuse every key not in <paramref name="known"/>.</summary>
    public static void RejectUnknownKeys(this IConfigurationSection section, IReadOnlyCollection<string> known)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new ConfigurationException(child.Path, $"is not a known key here; expected one of {string.Join(", ", known)}");
            }
        }
    }
}
