namespace HoopProxy.Core.Identity.Revocation;

/// <summary>The revocation file was reloaded with different entries.</summary>
public sealed class RevocationsChangedEventArgs(RevocationSet previous, RevocationSet current) : EventArgs
{
    public RevocationSet Previous { get; } = previous;

    /// <summary>The list now in force; match sessions against this one (not <see cref="RevocationList.Current"/>, which may already have moved on).</summary>
    public RevocationSet Current { get; } = current;

    /// <summary>Entries in <see cref="Current"/> that were not in <see cref="Previous"/>: one audit event each.</summary>
    public IReadOnlyList<RevocationMatch> Added { get; } = current.Entries.Except(previous.Entries).ToArray();

    /// <summary>Entries taken off the list: credentials honoured again from now on (sessions already ended stay ended).</summary>
    public IReadOnlyList<RevocationMatch> Removed { get; } = previous.Entries.Except(current.Entries).ToArray();
}
