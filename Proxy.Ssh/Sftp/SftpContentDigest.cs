using System.Security.Cryptography;

namespace HoopProxy.Ssh.Sftp;

/// <summary>
/// The SHA-256 of a file's content as it passes one way through a handle. The content is hashed as long as it
/// arrives in order from offset 0 — OpenSSH pipelines its requests, but writes go out and reads are answered in
/// offset order — and given up for good, with the reason, at the first gap, overlap or failure: the proxy keeps no
/// content to put in order, so a hash it gives is always that of the bytes from 0 to <see cref="NextOffset"/>.
/// </summary>
internal sealed class SftpContentDigest(string verb) : IDisposable
{
    private IncrementalHash? _hash;
    private bool _disposed;

    /// <summary>Where the content hashed so far ends.</summary>
    public ulong NextOffset { get; private set; }

    /// <summary>Some content moved, or a read was answered (an empty file is read by one answered with EOF).</summary>
    public bool Touched { get; private set; }

    /// <summary>Why there is no hash; null while there may be one.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>
    /// <paramref name="length"/> bytes of content for <paramref name="offset"/> are coming: true when they continue what
    /// was hashed (then <see cref="Append"/> them), else false (and the hash is given up).
    /// </summary>
    public bool Accept(ulong offset, uint length)
    {
        Touched = true;
        if (Unavailable is not null || _disposed)
        {
            return false;
        }

        if (offset != NextOffset)
        {
            GiveUp(NextOffset == 0
                ? $"the first {verb} was at offset {offset}, not 0"
                : offset < NextOffset
                    ? $"overlapping {verb}s: one at offset {offset} after the content up to {NextOffset}"
                    : $"non-sequential {verb}s: a gap from offset {NextOffset} to {offset}");
            return false;
        }

        NextOffset += length;
        _hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        return true;
    }

    /// <summary>Content accepted, as it passes. Nothing once the hash was given up or the handle closed meanwhile.</summary>
    public void Append(ReadOnlySpan<byte> content) => _hash?.AppendData(content);

    public void Touch() => Touched = true;

    /// <summary>No hash will be given, for <paramref name="reason"/> (the first reason stays).</summary>
    public void GiveUp(string reason)
    {
        Touched = true;
        Unavailable ??= reason;
        ReleaseHash();
    }

    /// <summary>The hash of the content from offset 0 to <see cref="NextOffset"/>, hex; null when given up.</summary>
    public string? Finish()
    {
        if (Unavailable is not null || _disposed)
        {
            return null;
        }

        _hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var hex = Convert.ToHexStringLower(_hash.GetHashAndReset());
        Dispose();
        return hex;
    }

    /// <summary>The handle is closed: answers still on their way (reads after a close) hash nothing.</summary>
    public void Dispose()
    {
        _disposed = true;
        ReleaseHash();
    }

    private void ReleaseHash()
    {
        _hash?.Dispose();
        _hash = null;
    }
}
