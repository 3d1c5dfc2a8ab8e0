using System.Text.Json.Nodes;

namespace HoopProxy.Ssh.Sftp;

/// <summary>What the answer to a request will complete.</summary>
internal enum SftpRequestKind : byte
{
    /// <summary>HANDLE opens a file (and the <c>open</c> event is written); STATUS is its failure.</summary>
    Open,

    /// <summary>HANDLE opens a directory for listing; STATUS is its failure (a <c>listing</c> event).</summary>
    Opendir,

    /// <summary>STATUS ends the handle: the <c>close</c> or <c>listing</c> event.</summary>
    Close,

    /// <summary>DATA is content from <see cref="SftpRequest.Offset"/>; STATUS EOF ends the file, another status fails the read.</summary>
    Read,

    /// <summary>STATUS says whether <see cref="SftpRequest.Length"/> bytes from <see cref="SftpRequest.Offset"/> were written.</summary>
    Write,

    /// <summary>NAME lists entries; STATUS EOF ends the listing.</summary>
    Readdir,

    /// <summary>A change answered by STATUS (remove, mkdir, rename …): its prepared event gets the status.</summary>
    Change,

    /// <summary>
    /// An fsetstat that sets the size of a file being written to where its written content ends: OpenSSH's scp
    /// writes in place (no truncate on open) and cuts the file there at the end. Success makes the content the whole file.
    /// </summary>
    CutToContent,

    /// <summary>ATTRS gives the size of the open file: reads that reach it have read the whole file.</summary>
    Fstat,

    /// <summary>An extension the decoder does not know: STATUS or any other answer (EXTENDED_REPLY is success).</summary>
    Extension,
}

/// <summary>
/// A request waiting for its answer, found by its id. A struct in a dictionary, so the READ and WRITE requests of a
/// transfer (one per 32 KiB with OpenSSH) cost no allocation; only changes carry an event prepared from the request.
/// </summary>
internal readonly record struct SftpRequest(
    SftpRequestKind Kind,
    SftpOpenHandle? Handle = null,
    ulong Offset = 0,
    uint Length = 0,
    JsonObject? Event = null,
    string? Path = null,
    SftpOpenFlags Flags = SftpOpenFlags.None);
