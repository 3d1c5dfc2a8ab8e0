using System.Text;
using HoopProxy.Core.Configuration;
using HoopProxy.Postgres.Policy;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Postgres.Masking.Rules;

/// <summary>
/// Reads the <c>Masking</c> list and the custom detectors of <c>MaskingDetectors</c>. Every mistake names its key and
/// rejects the whole list: a rule that silently masks less than its author meant is the failure to avoid.
/// </summary>
public static class MaskingConfiguration
{
    private static readonly string[] RuleKeys = ["Name", "Match", "Columns", "Detectors", "Operator", "Keep", "Text", "HashKey", "HashKeyFile"];
    private static readonly string[] MatchKeys = ["Targets", "Users", "Groups"];
    private static readonly string[] DetectorKeys = ["Name", "Pattern", "Words", "MatchTimeout"];

    /// <param name="baseDirectory">Where a relative <c>HashKeyFile</c> is found: the configuration file's folder.</param>
    public static MaskingPolicy FromConfiguration(IConfigurationSection rules, IConfigurationSection customDetectors, string baseDirectory)
    {
        var catalog = ReadCatalog(customDetectors);
        var result = new List<MaskingRule>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in Ordered(rules))
        {
            entry.RejectUnknownKeys(RuleKeys);
            var rule = ReadRule(entry, catalog, baseDirectory);
            if (!names.Add(rule.Name))
            {
                throw new ConfigurationException(ConfigReader.Path(entry, "Name"), $"\"{rule.Name}\" is used by an earlier rule; rule names must be unique");
            }

            result.Add(rule);
        }

        return new MaskingPolicy(result);
    }

    private static IEnumerable<IConfigurationSection> Ordered(IConfigurationSection list) =>
        list.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue);

    private static DetectorCatalog ReadCatalog(IConfigurationSection section)
    {
        var definitions = new List<CustomDetectorDefinition>();
        foreach (var entry in Ordered(section))
        {
            entry.RejectUnknownKeys(DetectorKeys);
            var definition = new CustomDetectorDefinition(entry.RequiredString("Name"), entry.OptionalString("Pattern"), entry.StringList("Words"),
                entry["MatchTimeout"] is null ? null : entry.Duration("MatchTimeout", TimeSpan.Zero));
            try
            {
                definition.Build();
            }
            catch (ArgumentException e)
            {
                throw new ConfigurationException(entry.Path, e.Message);
            }

            definitions.Add(definition);
        }

        try
        {
            return new DetectorCatalog(definitions);
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException(section.Path, e.Message);
        }
    }

    private static MaskingRule ReadRule(IConfigurationSection entry, DetectorCatalog catalog, string baseDirectory)
    {
        var name = entry.RequiredString("Name");
        var match = entry.GetSection("Match");
        match.RejectUnknownKeys(MatchKeys);
        var columns = entry.StringList("Columns").Select(c => NormalizeColumn(entry, c)).ToArray();
        var detectorNames = entry.StringList("Detectors");
        if (columns.Length == 0 && detectorNames.Count == 0)
        {
            throw new ConfigurationException(entry.Path, "a masking rule needs Columns, Detectors, or both");
        }

        var maskOperator = ReadOperator(entry, baseDirectory);
        ValueMasker? detectors = null;
        if (detectorNames.Count > 0)
        {
            try
            {
                detectors = new ValueMasker(catalog.Resolve(detectorNames), maskOperator);
            }
            catch (ArgumentException e)
            {
                throw new ConfigurationException(ConfigReader.Path(entry, "Detectors"), e.Message.Split(" (Parameter")[0]);
            }
        }

        return new MaskingRule
        {
            Name = name,
            Match = new PolicyMatch { Targets = match.StringList("Targets"), Users = match.StringList("Users"), Groups = match.StringList("Groups") },
            Columns = columns,
            Detectors = detectors,
            Operator = maskOperator,
        };
    }

    private static string NormalizeColumn(IConfigurationSection entry, string text) =>
        ColumnNames.TryNormalize(text, out var normalized, out var error)
            ? normalized
            : throw new ConfigurationException(ConfigReader.Path(entry, "Columns"), $"'{text}': {error}");

    private static MaskOperator ReadOperator(IConfigurationSection entry, string baseDirectory)
    {
        var kind = entry.Enum("Operator", MaskOperatorKind.Redact);
        RefuseUnless(entry, kind == MaskOperatorKind.Partial, "Keep");
        RefuseUnless(entry, kind == MaskOperatorKind.Redact, "Text");
        RefuseUnless(entry, kind == MaskOperatorKind.Hash, "HashKey");
        RefuseUnless(entry, kind == MaskOperatorKind.Hash, "HashKeyFile");
        return kind switch
        {
            MaskOperatorKind.Partial => new PartialOperator(entry.Int("Keep", 4, 0, 64)),
            MaskOperatorKind.Hash => new HashOperator(ReadHashKey(entry, baseDirectory)),
            MaskOperatorKind.Null => new NullOperator(),
            _ => new RedactOperator(entry.OptionalString("Text")),
        };
    }

    /// <summary>A key for another operator is a sign the rule is not what its author thinks it is.</summary>
    private static void RefuseUnless(IConfigurationSection entry, bool allowed, string key)
    {
        if (!allowed && entry[key] is not null)
        {
            throw new ConfigurationException(ConfigReader.Path(entry, key), $"does not apply to Operator {entry["Operator"] ?? "Redact"}");
        }
    }

    /// <summary>
    /// The key's bytes: the UTF-8 of <c>HashKey</c>, or the contents of <c>HashKeyFile</c> (kept out of the configuration
    /// file, e.g. 32 bytes from <c>openssl rand</c>). Its value never appears in an error message.
    /// </summary>
    private static byte[] ReadHashKey(IConfigurationSection entry, string baseDirectory)
    {
        var inline = entry["HashKey"];
        var file = entry.OptionalString("HashKeyFile");
        if ((inline is null) == (file is null))
        {
            throw new ConfigurationException(ConfigReader.Path(entry, "HashKey"), "a Hash rule needs exactly one of HashKey or HashKeyFile");
        }

        byte[] key;
        string where;
        if (file is not null)
        {
            var path = Path.Combine(baseDirectory, file);
            where = ConfigReader.Path(entry, "HashKeyFile");
            try
            {
                key = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigurationException(where, $"cannot read '{path}': {e.Message}");
            }
        }
        else
        {
            key = Encoding.UTF8.GetBytes(inline!);
            where = ConfigReader.Path(entry, "HashKey");
        }

        if (key.Length < HashOperator.MinKeyBytes)
        {
            throw new ConfigurationException(where, $"is {key.Length} bytes; a hash key needs at least {HashOperator.MinKeyBytes} (32 random bytes recommended)");
        }

        return key;
    }
}
