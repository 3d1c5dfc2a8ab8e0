namespace HoopProxy.Postgres.Protocol;

/// <summary>The 32-bit code after the length in an untyped startup-phase packet.</summary>
public static class StartupCode
{
    /// <summary>Protocol 3.0: major 3 in the high 16 bits, minor 0 in the low.</summary>
    public const int ProtocolVersion30 = 3 << 16;

    public const int CancelRequest = 80877102;
    public const int SslRequest = 80877103;
    public const int GssEncRequest = 80877104;

    /// <summary>PostgreSQL refuses startup packets longer than this (MAX_STARTUP_PACKET_LENGTH).</summary>
    public const int MaxStartupPacketLength = 10000;

    public static int Major(int version) => version >> 16;

    public static int Minor(int version) => version & 0xffff;
}
