namespace HoopProxy.Ssh.Session;

/// <summary>A policy rule ends the session (a blocked typed line); the message says why, for the client and the record.</summary>
public sealed class SessionEndedByPolicyException(string reason) : Exception(reason);
