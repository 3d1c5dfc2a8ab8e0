namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>What a Describe or Close names: a prepared statement ('S') or a portal ('P').</summary>
public enum DescribeTarget : byte
{
    Statement = (byte)'S',
    Portal = (byte)'P',
}
