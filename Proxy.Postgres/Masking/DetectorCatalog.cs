namespace HoopProxy.Postgres.Masking;

/// <summary>
/// The detectors rules can name: the built-ins and the custom ones from configuration. Names are compared ignoring
/// case; a custom detector may not reuse a built-in name (a rule naming <c>us-ssn</c> must get the validated one).
/// Detectors are stateless apart from counters, so one catalog serves every session.
/// </summary>
public sealed class DetectorCatalog
{
    private readonly Dictionary<string, IDetector> _byName = new(StringComparer.OrdinalIgnoreCase);

    public DetectorCatalog(IEnumerable<CustomDetectorDefinition>? custom = null)
    {
        IDetector[] builtIns =
        [
            new UsSsnDetector(), new PaymentCardDetector(), new EmailDetector(), new PhoneDetector(), new IbanDetector(), new AbaRoutingDetector(),
        ];
        foreach (var detector in builtIns)
        {
            _byName.Add(detector.Name, detector);
        }

        foreach (var definition in custom ?? [])
        {
            var detector = definition.Build();
            if (!_byName.TryAdd(detector.Name, detector))
            {
                throw new ArgumentException($"detector name '{detector.Name}' is already taken (built-in or defined twice)", nameof(custom));
            }
        }
    }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public bool TryGet(string name, out IDetector detector) => _byName.TryGetValue(name, out detector!);

    /// <summary>The detectors a rule names, in the rule's order (that order breaks precedence ties). Unknown names throw.</summary>
    public IReadOnlyList<IDetector> Resolve(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var resolved = new List<IDetector>();
        foreach (var name in names)
        {
            if (!_byName.TryGetValue(name, out var detector))
            {
                throw new ArgumentException($"unknown detector '{name}'; known: {string.Join(", ", _byName.Keys)}", nameof(names));
            }

            if (!resolved.Contains(detector))
            {
                resolved.Add(detector);
            }
        }

        return resolved;
    }
}
