namespace HoopProxy.Core.Configuration;

/// <summary>A configuration value is missing or wrong; the message names the key, e.g. <c>Postgres:Targets:bank:Port</c>.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string key, string problem) : base($"{key}: {problem}")
    {
        Key = key;
    }

    public ConfigurationException() { }

    public ConfigurationException(string message) : base(message) { }

    public ConfigurationException(string message, Exception inner) : base(message, inner) { }

    public string Key { get; } = "";
}
