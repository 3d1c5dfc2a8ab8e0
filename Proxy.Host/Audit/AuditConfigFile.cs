using HoopProxy.Core.Audit;
using HoopProxy.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Host.Audit;

/// <summary>
/// The <c>Audit</c> section of a configuration file, read the way <c>serve</c> reads it (JSON, then <c>HOOPPROXY_</c>
/// environment variables). Only that section is read, so the audit commands also work on a copy of the log and the
/// configuration on another machine, where the listeners' certificates and keys are absent.
/// </summary>
internal static class AuditConfigFile
{
    /// <summary>The options, or null with the configuration error written to <paramref name="error"/>.</summary>
    public static AuditOptions? Load(FileInfo file, TextWriter error)
    {
        try
        {
            if (!file.Exists)
            {
                throw new ConfigurationException($"configuration file '{file.FullName}' does not exist");
            }

            IConfiguration configuration;
            try
            {
                configuration = new ConfigurationBuilder()
                    .AddJsonFile(file.FullName, optional: false, reloadOnChange: false)
                    .AddEnvironmentVariables("HOOPPROXY_")
                    .Build();
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or System.Text.Json.JsonException)
            {
                throw new ConfigurationException($"configuration file '{file.FullName}' is not valid JSON: {e.Message}", e);
            }

            var options = AuditOptions.FromConfiguration(configuration.GetSection("Audit"), file.DirectoryName!);
            if (options is null)
            {
                error.WriteLine("configuration error: Audit: the configuration keeps no audit trail");
            }

            return options;
        }
        catch (ConfigurationException e)
        {
            error.WriteLine($"configuration error: {e.Message}");
            return null;
        }
    }
}
