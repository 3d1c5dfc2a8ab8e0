namespace HoopProxy.Tests.Infrastructure;

/// <summary>OpenSSH client command lines for a <see cref="SshProxyInstance"/> beyond <see cref="SshProxyInstance.SshOptions"/>.</summary>
public static class SshClientOptions
{
    /// <summary>
    /// The fixture's options with another log level: ssh keeps the first value it reads for an option, so a later
    /// <c>-o LogLevel=DEBUG1</c> would not override the fixture's ERROR — the value is replaced instead.
    /// </summary>
    public static IReadOnlyList<string> SshOptionsWithLogLevel(this SshProxyInstance proxy, string logLevel)
    {
        var options = proxy.SshOptions().ToList();
        var index = options.IndexOf("LogLevel=ERROR");
        if (index < 0)
        {
            throw new InvalidOperationException("the fixture's options no longer set LogLevel=ERROR: " + string.Join(' ', options));
        }

        options[index] = "LogLevel=" + logLevel;
        return options;
    }

    /// <summary><c>ssh [options] [extra] alice@127.0.0.1 [command]</c> as arguments.</summary>
    public static IReadOnlyList<string> SshArguments(this SshProxyInstance proxy, IEnumerable<string>? extraOptions = null, string? command = null,
        IReadOnlyList<string>? options = null) =>
        ["ssh", .. options ?? proxy.SshOptions(), .. extraOptions ?? [], $"{SshProxyInstance.UserName}@127.0.0.1", .. command is null ? Array.Empty<string>() : [command]];
}
