namespace HoopProxy.Core.Recording;

/// <summary>Which way a data record's bytes travelled; stored as one byte in the record header.</summary>
public enum RecordDirection : byte
{
    ClientToServer = 1,
    ServerToClient = 2,
}

/// <summary>The record types of a session file; stored as one byte in the record header.</summary>
public enum RecordType : byte
{
    Start = 1,
    Data = 2,
    Event = 3,
    End = 4,
    Seal = 5,
}
