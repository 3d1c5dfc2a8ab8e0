namespace HoopProxy.Core.Networking;

/// <summary>Limits that protect the proxy from too many, too slow or too large clients.</summary>
public sealed record ListenerLimits
{
    /// <summary>Sessions served at once; the next client gets a protocol error and is closed.</summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>Time a client has from connecting to finishing startup and authentication.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>On shutdown, time sessions get to finish what they are doing before they are closed.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest protocol message accepted; larger ones are refused before the body is read.</summary>
    public int MaxMessageBytes { get; init; } = 0x3fffffff;

    public PipeSettings Pipes { get; init; } = PipeSettings.Default;
}
