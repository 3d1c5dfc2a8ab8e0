namespace HoopProxy.Ssh.Sftp;

/// <summary>
/// A file or directory the server gave the client a handle for, from the HANDLE answer to its close: the path it was
/// opened by, and what passed through it — bytes read and written with their hashes, or directory entries listed.
/// </summary>
internal sealed class SftpOpenHandle(byte[] handle, string path, SftpOpenFlags flags, bool isDirectory) : IDisposable
{
    public byte[] Handle { get; } = handle;

    public string Path { get; } = path;

    public SftpOpenFlags Flags { get; } = flags;

    public bool IsDirectory { get; } = isDirectory;

    /// <summary>Content the server sent in DATA answers.</summary>
    public long BytesRead { get; set; }

    /// <summary>Content of the WRITE requests the server answered with success.</summary>
    public long BytesWritten { get; set; }

    /// <summary>WRITE requests not answered yet: content hashed that the server has not confirmed.</summary>
    public int WritesInFlight { get; set; }

    /// <summary>Names the server listed (READDIR answers).</summary>
    public long Entries { get; set; }

    /// <summary>How a READDIR failed other than with EOF (the end of the listing), as status and message.</summary>
    public (string Status, string Message)? ListingFailure { get; set; }

    public SftpContentDigest Reads { get; } = new("read");

    public SftpContentDigest Writes { get; } = new("write");

    /// <summary>The file was cut to the end of the content written (fsetstat size), so nothing beyond it is left.</summary>
    public bool CutToContent { get; set; }

    /// <summary>A read at the end of the content hashed so far was answered with EOF: the reads covered the whole file.</summary>
    public bool ReachedEnd { get; set; }

    /// <summary>The last content read came short of the length asked for: the server had no more there.</summary>
    public bool ShortReadAtEnd { get; set; }

    /// <summary>The file's size as an fstat of this handle answered it.</summary>
    public ulong? ReportedSize { get; set; }

    /// <summary>
    /// The file's SHA-256 when the whole file passed, else why not; <c>Applies</c> is false when nothing was read or
    /// written (then there is nothing to say). Written content is the whole file when the open truncated or created it,
    /// or when the file was then cut to the written size; a truncating open that wrote nothing made an empty file, whose
    /// hash is given.
    /// </summary>
    /// <param name="unfinished">The channel closed with the handle open.</param>
    public (bool Applies, string? Sha256, string? Unavailable) Content(bool unfinished)
    {
        if (Reads.Touched && Writes.Touched)
        {
            return (true, null, "read and written through the same handle");
        }

        if (Writes.Touched || (Flags.HasFlag(SftpOpenFlags.Write) && Flags.StartsEmpty()))
        {
            var reason = Writes.Unavailable
                ?? (unfinished ? "the file was still open when the channel closed"
                    // The server closed it first, so those writes did not happen as hashed.
                    : WritesInFlight > 0 ? "closed while writes were still unanswered"
                    : !Flags.StartsEmpty() && !CutToContent ? "opened without truncate and not cut to the written size: the file may hold more than was written" : null);
            return (true, reason is null ? Writes.Finish() : null, reason);
        }

        if (Reads.Touched)
        {
            // A file read to its end was read whole, closed or not (a written one may have had more to come).
            var reason = Reads.Unavailable ?? (!ReachedEnd && ReportedSize != Reads.NextOffset ? "not read to the end of the file" : null);
            return (true, reason is null ? Reads.Finish() : null, reason);
        }

        return (false, null, null);
    }

    public void Dispose()
    {
        Reads.Dispose();
        Writes.Dispose();
    }
}
