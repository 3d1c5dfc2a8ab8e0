using System.Globalization;
using HoopProxy.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Ssh.Policy;

public enum ChannelAction
{
    Allow,
    Block,

    /// <summary>Held until an approver decides (exec requests); a typed shell line cannot be held and is let through, recorded.</summary>
    Review,
}

/// <summary>Who asks for which kind of channel to where: what an <see cref="ChannelRule"/> matches.</summary>
/// <param name="Channel">One of <see cref="ChannelPolicy.ChannelKinds"/>.</param>
/// <param name="Host">The destination host for forwarding channels, as the client named it; null otherwise.</param>
/// <param name="CommandLine">An exec request's command line; null otherwise.</param>
/// <param name="Programs">The programs <see cref="CommandLine"/> runs (<see cref="ShellCommandLine"/>); null when it could not be read.</param>
public sealed record ChannelSubject(string User, IReadOnlyList<string> Groups, string Target, string Channel, string? Host = null, uint? Port = null)
{
    public string? CommandLine { get; init; }

    public IReadOnlyList<string>? Programs { get; init; }
}

/// <summary>The decision and the rule that made it (null: no rule matched, the default applied).</summary>
public sealed record ChannelVerdict(ChannelAction Action, string? Rule)
{

    /// <summary>The command line could not be read, so no rule could be applied.</summary>
    public bool Unreadable { get; init; }

    public string Describe() =>
        Unreadable ? "the command line could not be parsed (an unterminated quote), so the proxy cannot tell what it runs"
        : Rule is null ? "no SshPolicies rule allows it (forwarding is denied by default)"
        : $"rule \"{Rule}\"";
}

/// <summary>
/// A destination pattern <c>host:port</c>: the host with <c>*</c> wildcards, compared without case (<c>*.internal</c>,
/// <c>10.0.0.*</c>, <c>[::1]</c>), and a port number or <c>*</c>.
/// </summary>
public sealed record DestinationPattern(string HostPattern, uint? Port)
{
    public static DestinationPattern Parse(string text, string configurationKey)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new ConfigurationException(configurationKey, $"'{text}' is not host:port (use * for any host or port)");
        }

        var host = text[..colon].Trim('[', ']');
        var port = text[(colon + 1)..];
        if (port == "*")
        {
            return new DestinationPattern(host, null);
        }

        if (!uint.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is 0 or > 65535)
        {
            throw new ConfigurationException(configurationKey, $"'{port}' in '{text}' is not a port from 1 to 65535 or *");
        }

        return new DestinationPattern(host, number);
    }

    public bool Matches(string host, uint port) => (Port is null || Port == port) && Glob(HostPattern, host.Trim('[', ']'));

    private static bool Glob(string pattern, string text)
    {
        // Iterative wildcard match: '*' spans any run of characters; no other metacharacters.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] != '*' && char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}

/// <summary>One rule of the <c>SshPolicies</c> list; an empty list in <c>Match</c> matches anything.</summary>
public sealed record ChannelRule(string Name, ChannelAction Action)
{
    public IReadOnlyList<string> Targets { get; init; } = [];

    public IReadOnlyList<string> Users { get; init; } = [];

    public IReadOnlyList<string> Groups { get; init; } = [];

    public IReadOnlyList<string> Channels { get; init; } = [];

    public IReadOnlyList<DestinationPattern> Destinations { get; init; } = [];

    /// <summary>Program names an exec request must run one of (<see cref="ShellCommandLine"/>).</summary>
    public IReadOnlyList<string> Commands { get; init; } = [];

    /// <summary>A regular expression an exec request's command line must contain a match of.</summary>
    public System.Text.RegularExpressions.Regex? Pattern { get; init; }

    /// <summary>Who may approve what a Review rule holds: user names or group names.</summary>
    public IReadOnlyList<string> Approvers { get; init; } = [];

    /// <summary>How long a Review rule holds a request before it counts as not approved.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    public bool Matches(ChannelSubject subject) =>
        (Targets.Count == 0 || Targets.Contains(subject.Target, StringComparer.Ordinal))
        && (Users.Count == 0 || Users.Contains(subject.User, StringComparer.Ordinal))
        && (Groups.Count == 0 || Groups.Any(subject.Groups.Contains))
        && (Channels.Count == 0 || Channels.Contains(subject.Channel, StringComparer.Ordinal))
        && (Destinations.Count == 0 || (subject.Host is not null && subject.Port is not null
            && Destinations.Any(d => d.Matches(subject.Host, subject.Port.Value))))
        && (Commands.Count == 0 || (subject.Programs is not null && subject.Programs.Any(p => Commands.Contains(p, StringComparer.Ordinal))))
        && (Pattern is null || (subject.CommandLine is not null && PatternMatches(subject.CommandLine)));

    private bool PatternMatches(string commandLine)
    {
        try
        {
            return Pattern!.IsMatch(commandLine);
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            // A pathological pattern counts as a match rather than stalling the session (as the statement rules do).
            return true;
        }
    }
}

/// <summary>
/// The <c>SshPolicies</c> list: which channels beyond an interactive or exec session a user may open, and to where.
/// The same shape as the statement rules (first match wins, <c>Match</c> on targets, users and groups) with
/// <c>Channels</c> and <c>Destinations</c>. Forwarding is denied unless a rule allows it.
/// </summary>
public sealed class ChannelPolicy(IReadOnlyList<ChannelRule> rules)
{
    public const string DirectTcpip = "direct-tcpip";

    /// <summary>An exec request on a session channel (<c>ssh host 'command'</c>), judged before it runs.</summary>
    public const string Exec = "exec";

    /// <summary>A command line typed into an interactive shell, as reconstructed from the keystrokes (best effort).</summary>
    public const string Shell = "shell";

    /// <summary>Remote forwarding (ssh -R): the target listens for the client, and its connections come back as channels.</summary>
    public const string TcpipForward = "tcpip-forward";

    public const string Sftp = "sftp";

    public const string Agent = "agent";

    public const string X11 = "x11";

    /// <summary>The channel kinds a rule may name.</summary>
    public static readonly IReadOnlyList<string> ChannelKinds = [DirectTcpip, TcpipForward, Exec, Shell, Sftp, Agent, X11];

    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    private static readonly string[] RuleKeys = ["Name", "Action", "Match", "Approvers", "Timeout"];
    private static readonly string[] MatchKeys = ["Targets", "Users", "Groups", "Channels", "Destinations", "Commands", "Pattern"];

    public static ChannelPolicy Empty { get; } = new([]);

    public IReadOnlyList<ChannelRule> Rules { get; } = rules;

    /// <summary>The rule of that name (a verdict's, for a Review rule's approvers and timeout).</summary>
    public ChannelRule? RuleNamed(string? name) => Rules.FirstOrDefault(r => r.Name == name);

    /// <summary>
    /// The first matching rule's action; without one, forwarding, agent and X11 channels are blocked, while exec
    /// requests, typed shell lines and the sftp subsystem (all inside a session channel) are allowed.
    /// </summary>
    public ChannelVerdict Decide(ChannelSubject subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        foreach (var rule in Rules)
        {
            if (rule.Matches(subject))
            {
                return new ChannelVerdict(rule.Action, rule.Name);
            }
        }

        return new ChannelVerdict(subject.Channel is Exec or Shell or Sftp ? ChannelAction.Allow : ChannelAction.Block, null);
    }

    /// <summary>
    /// A typed shell line's verdict, read like an exec command line. Only Block acts on it (the line has been typed;
    /// the proxy can withhold its Enter and end the session, not hold it for approval), so an unreadable line is
    /// let through and recorded as such.
    /// </summary>
    public ChannelVerdict DecideTypedLine(string user, IReadOnlyList<string> groups, string target, string line) =>
        Decide(new ChannelSubject(user, groups, target, Shell) { CommandLine = line, Programs = ShellCommandLine.Programs(line) });

    /// <summary>
    /// An exec request's verdict. A command line that cannot be read (an unterminated quote) is blocked whenever some
    /// rule names programs: what it would run cannot be known, so the policy fails closed.
    /// </summary>
    public ChannelVerdict DecideExec(string user, IReadOnlyList<string> groups, string target, string commandLine)
    {
        var programs = ShellCommandLine.Programs(commandLine);
        if (programs is null && Rules.Any(r => r.Commands.Count > 0))
        {
            return new ChannelVerdict(ChannelAction.Block, null) { Unreadable = true };
        }

        return Decide(new ChannelSubject(user, groups, target, Exec) { CommandLine = commandLine, Programs = programs });
    }

    public static ChannelPolicy FromConfiguration(IConfigurationSection section)
    {
        var rules = new List<ChannelRule>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in section.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue))
        {
            entry.RejectUnknownKeys(RuleKeys);
            var name = entry.RequiredString("Name");
            if (!names.Add(name))
            {
                throw new ConfigurationException(ConfigReader.Path(entry, "Name"), $"\"{name}\" is used by an earlier rule; rule names must be unique");
            }

            var match = entry.GetSection("Match");
            match.RejectUnknownKeys(MatchKeys);
            var channels = match.StringList("Channels");
            foreach (var channel in channels.Where(c => !ChannelKinds.Contains(c)))
            {
                throw new ConfigurationException(ConfigReader.Path(match, "Channels"),
                    $"'{channel}' is not a channel kind ({string.Join(", ", ChannelKinds)})");
            }

            entry.RequiredString("Action");
            var action = entry.Enum("Action", ChannelAction.Block);
            var approvers = entry.StringList("Approvers");
            if (action == ChannelAction.Review && approvers.Count == 0)
            {
                throw new ConfigurationException(ConfigReader.Path(entry, "Approvers"), "a Review rule needs at least one approver group or user");
            }

            rules.Add(new ChannelRule(name, action)
            {
                Approvers = approvers,
                Timeout = entry.Duration("Timeout", TimeSpan.FromMinutes(5)),
                Targets = match.StringList("Targets"),
                Users = match.StringList("Users"),
                Groups = match.StringList("Groups"),
                Channels = channels,
                Destinations = match.StringList("Destinations").Select(d => DestinationPattern.Parse(d, ConfigReader.Path(match, "Destinations"))).ToArray(),
                Commands = match.StringList("Commands"),
                Pattern = ReadPattern(match),
            });
        }

        return new ChannelPolicy(rules);
    }

    private static System.Text.RegularExpressions.Regex? ReadPattern(IConfigurationSection match)
    {
        var text = match.OptionalString("Pattern");
        if (text is null)
        {
            return null;
        }

        try
        {
            return new System.Text.RegularExpressions.Regex(text, System.Text.RegularExpressions.RegexOptions.CultureInvariant, PatternTimeout);
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException(ConfigReader.Path(match, "Pattern"), $"not a regular expression: {e.Message}");
        }
    }
}
