using System.Text.Json.Nodes;

namespace HoopProxy.Ssh.Sftp;

/// <summary>
/// Turns the packets of an SFTP v3 session into one event per operation: requests are kept by id until the server
/// answers (OpenSSH pipelines them, and answers may come in any order), handles are followed from open to close to
/// sum up what passed through them. Reads, writes and READDIRs make no events of their own: their bytes, hashes and
/// entries go into the <c>close</c> or <c>listing</c> event of their handle. Lookups (stat, lstat, fstat, realpath,
/// readlink, the statvfs, limits, expand-path, home-directory and users-groups-by-id extensions) and fsync change
/// nothing and are not recorded (an fstat's size is kept: reads that reach it have read the whole file).
/// </summary>
internal sealed class SftpDecoder : ISftpPacketHandler, IDisposable
{
    /// <summary>
    /// Requests waiting for an answer. OpenSSH's sftp keeps 64 reads or writes in flight (-R), so this many means a
    /// client that does not wait, or answers that never come; decoding stops rather than keep growing.
    /// </summary>
    public const int MaxWaitingRequests = 4096;

    private readonly Dictionary<uint, SftpRequest> _waiting = [];
    private readonly SftpHandleTable _handles = new();

    /// <summary>The events found, in order; the caller takes them after each call.</summary>
    public List<JsonObject> Events { get; } = [];

    public void OnPacket(bool fromClient, ReadOnlySpan<byte> packet)
    {
        var reader = new SftpPacketReader(packet);
        var type = (SftpPacketType)reader.ReadByte();
        if (fromClient)
        {
            OnRequest(type, ref reader);
        }
        else
        {
            OnAnswer(type, ref reader);
        }
    }

    public SftpContentDigest? OnContentHead(bool fromClient, ReadOnlySpan<byte> head, uint dataLength)
    {
        var reader = new SftpPacketReader(head);
        reader.ReadByte();
        var id = reader.ReadUInt32();
        if (fromClient)
        {
            // WRITE: id, handle, offset, data. Hashed as it goes out; counted when the server confirms it.
            if (_handles.Find(reader.ReadString()) is not { } handle)
            {
                return null;
            }

            var offset = reader.ReadUInt64();
            Expect(id, new SftpRequest(SftpRequestKind.Write, handle, offset, dataLength));
            handle.WritesInFlight++;
            return handle.Writes.Accept(offset, dataLength) ? handle.Writes : null;
        }

        // DATA: id, data — the content of the read with that id, from its offset.
        if (!_waiting.Remove(id, out var read))
        {
            return null;
        }

        if (read is not { Kind: SftpRequestKind.Read, Handle: { } file })
        {
            OnOtherAnswer(SftpPacketType.Data, read);
            return null;
        }

        file.BytesRead += dataLength;
        if (dataLength > read.Length)
        {
            file.Reads.GiveUp($"the server sent {dataLength} bytes for a read of {read.Length}");
            return null;
        }

        if (!file.Reads.Accept(read.Offset, dataLength))
        {
            return null;
        }

        // Content past what looked like the end: the end is further on.
        file.ReachedEnd = false;
        file.ShortReadAtEnd = dataLength < read.Length;
        return file.Reads;
    }

    /// <summary>The channel closed: files and listings still open, and changes never answered, are reported as such.</summary>
    public void ReportUnfinished()
    {
        foreach (var handle in _handles.Open)
        {
            Events.Add(SftpEvents.Closed(handle, code: null, message: ""));
        }

        foreach (var (_, request) in _waiting.OrderBy(w => w.Key))
        {
            // Opens, listings and changes; reads, writes and closes are in the handle's event.
            if (request.Event is { } fields)
            {
                Events.Add(SftpEvents.Unanswered(fields));
            }
        }

        _waiting.Clear();
    }

    public void Dispose()
    {
        _handles.Dispose();
        _waiting.Clear();
    }

    private void OnRequest(SftpPacketType type, ref SftpPacketReader reader)
    {
        if (type == SftpPacketType.Init)
        {
            return;
        }

        var id = reader.ReadUInt32();
        switch (type)
        {
            case SftpPacketType.Open:
                var path = reader.ReadText();
                var flags = (SftpOpenFlags)reader.ReadUInt32();
                Expect(id, new SftpRequest(SftpRequestKind.Open, Event: SftpEvents.Open(path, flags, reader.ReadAttributes()), Path: path, Flags: flags));
                break;
            case SftpPacketType.Close:
                if (_handles.Find(reader.ReadString()) is { } closing)
                {
                    Expect(id, new SftpRequest(SftpRequestKind.Close, closing));
                }

                break;
            case SftpPacketType.Read:
                if (_handles.Find(reader.ReadString()) is { } file)
                {
                    var offset = reader.ReadUInt64();
                    Expect(id, new SftpRequest(SftpRequestKind.Read, file, offset, reader.ReadUInt32()));
                }

                break;
            case SftpPacketType.Opendir:
                var directory = reader.ReadText();
                Expect(id, new SftpRequest(SftpRequestKind.Opendir, Event: SftpEvents.Listing(directory), Path: directory));
                break;
            case SftpPacketType.Readdir:
                if (_handles.Find(reader.ReadString()) is { } listed)
                {
                    Expect(id, new SftpRequest(SftpRequestKind.Readdir, listed));
                }

                break;
            case SftpPacketType.Remove:
                ExpectChange(id, SftpEvents.Operation("remove", reader.ReadText()));
                break;
            case SftpPacketType.Mkdir:
                var made = reader.ReadText();
                ExpectChange(id, SftpEvents.WithAttributes(SftpEvents.Operation("mkdir", made), reader.ReadAttributes()));
                break;
            case SftpPacketType.Rmdir:
                ExpectChange(id, SftpEvents.Operation("rmdir", reader.ReadText()));
                break;
            case SftpPacketType.Rename:
                var old = reader.ReadText();
                ExpectChange(id, SftpEvents.Rename(old, reader.ReadText()));
                break;
            case SftpPacketType.Setstat:
                var target = reader.ReadText();
                ExpectChange(id, SftpEvents.SetStat("setstat", target, reader.ReadAttributes()));
                break;
            case SftpPacketType.Fsetstat:
                OnFsetstat(id, ref reader);
                break;
            case SftpPacketType.Symlink:
                // OpenSSH sends the link's target first and the link's path second, the reverse of the draft's
                // order; every common server follows OpenSSH, which is what this decoder reads.
                var linkTarget = reader.ReadText();
                ExpectChange(id, SftpEvents.Link("symlink", reader.ReadText(), linkTarget));
                break;
            case SftpPacketType.Extended:
                OnExtendedRequest(id, ref reader);
                break;
            case SftpPacketType.Fstat:
                // Not an event; the size it answers tells when reads have covered the file (SSH.NET reads up to it).
                if (_handles.Find(reader.ReadString()) is { IsDirectory: false } stated)
                {
                    Expect(id, new SftpRequest(SftpRequestKind.Fstat, stated));
                }

                break;
        }
    }

    private void OnFsetstat(uint id, ref SftpPacketReader reader)
    {
        var handleBytes = reader.ReadString();
        var attributes = reader.ReadAttributes();
        if (_handles.Find(handleBytes) is not { } handle)
        {
            return;
        }

        var fields = SftpEvents.SetStat("fsetstat", handle.Path, attributes, handle.Handle);
        if (!attributes.HasSize)
        {
            ExpectChange(id, fields);
        }
        else if (attributes.Size == handle.Writes.NextOffset)
        {
            // Compared when requested: the server carries out requests in the order they come.
            Expect(id, new SftpRequest(SftpRequestKind.CutToContent, handle, Event: fields));
        }
        else
        {
            // Any other size cuts or extends the file: what was hashed is then no longer the whole file.
            handle.Writes.GiveUp($"its size was set to {attributes.Size} while open (fsetstat)");
            ExpectChange(id, fields);
        }
    }

    private void OnExtendedRequest(uint id, ref SftpPacketReader reader)
    {
        var name = reader.ReadText();
        switch (name)
        {
            case "posix-rename@openssh.com":
                var old = reader.ReadText();
                ExpectChange(id, SftpEvents.Rename(old, reader.ReadText(), name));
                break;
            case "hardlink@openssh.com":
                // oldpath (the existing file), newpath (the link made).
                var existing = reader.ReadText();
                ExpectChange(id, SftpEvents.Link("hardlink", reader.ReadText(), existing, name));
                break;
            case "lsetstat@openssh.com":
                var path = reader.ReadText();
                ExpectChange(id, SftpEvents.SetStat("setstat", path, reader.ReadAttributes(), extension: name));
                break;
            case "copy-data":
                var from = _handles.Find(reader.ReadString());
                var offset = reader.ReadUInt64();
                var length = reader.ReadUInt64();
                var to = _handles.Find(reader.ReadString());
                var toOffset = reader.ReadUInt64();
                // The destination's content changes on the server, out of the proxy's sight.
                to?.Writes.GiveUp("content was copied into it on the server (copy-data)");
                ExpectChange(id, SftpEvents.Copy(from?.Path, offset, length, to?.Path, toOffset));
                break;
            case "statvfs@openssh.com" or "fstatvfs@openssh.com" or "fsync@openssh.com" or "limits@openssh.com"
                or "expand-path@openssh.com" or "home-directory" or "users-groups-by-id@openssh.com":
                break;
            default:
                Expect(id, new SftpRequest(SftpRequestKind.Extension, Event: SftpEvents.Extension(name)));
                break;
        }
    }

    private void OnAnswer(SftpPacketType type, ref SftpPacketReader reader)
    {
        if (type == SftpPacketType.Version)
        {
            var version = reader.ReadUInt32();
            if (version != 3)
            {
                throw new SftpDecodingException($"the server speaks SFTP version {version}; only version 3 is decoded");
            }

            return;
        }

        var id = reader.ReadUInt32();
        if (!_waiting.Remove(id, out var request))
        {
            // The answer to a lookup (stat, realpath …), or to a request the decoder did not follow.
            return;
        }

        switch (type)
        {
            case SftpPacketType.Status:
                var code = reader.ReadUInt32();
                // Some version 3 servers leave out the message and language tag.
                OnStatus(request, code, reader.End ? "" : reader.ReadText());
                break;
            case SftpPacketType.Handle:
                OnHandle(request, reader.ReadString());
                break;
            case SftpPacketType.Name when request is { Kind: SftpRequestKind.Readdir, Handle: { } directory }:
                directory.Entries += reader.ReadUInt32();
                break;
            case SftpPacketType.Attrs when request is { Kind: SftpRequestKind.Fstat, Handle: { } file }:
                if (reader.ReadAttributes() is { HasSize: true } attributes)
                {
                    file.ReportedSize = attributes.Size;
                }

                break;
            default:
                OnOtherAnswer(type, request);
                break;
        }
    }

    /// <summary>An answer of a type other than the request expects: success for an unknown extension, else said as it is.</summary>
    private void OnOtherAnswer(SftpPacketType type, SftpRequest request)
    {
        if (request is { Kind: SftpRequestKind.Extension, Event: { } extension })
        {
            Events.Add(SftpEvents.Answered(extension, SftpStatus.Ok, ""));
        }
        else if (request.Event is { } fields)
        {
            fields["status"] = $"unexpected answer of type {(byte)type}";
            Events.Add(fields);
        }
    }

    private void OnStatus(SftpRequest request, uint code, string message)
    {
        switch (request.Kind)
        {
            case SftpRequestKind.Write when request.Handle is { } file:
                file.WritesInFlight--;
                if (code == SftpStatus.Ok)
                {
                    file.BytesWritten += request.Length;
                }
                else
                {
                    file.Writes.GiveUp($"the write at offset {request.Offset} failed: {SftpStatus.Name(code)}{Detail(message)}");
                }

                break;
            case SftpRequestKind.Read when request.Handle is { } file:
                file.Reads.Touch();
                if (code != SftpStatus.Eof)
                {
                    file.Reads.GiveUp($"the read at offset {request.Offset} failed: {SftpStatus.Name(code)}{Detail(message)}");
                }
                else if (request.Offset == file.Reads.NextOffset || (request.Offset > file.Reads.NextOffset && file.ShortReadAtEnd))
                {
                    // EOF where the content so far ends: the reads covered the whole file. So does an EOF beyond it
                    // when the last content came short of what was asked — the server reads "as many bytes as it
                    // can", so a short answer is the end (SSH.NET reads on without asking again; OpenSSH asks again
                    // for the rest and gets its EOF right there). OpenSSH's read-ahead EOFs past the end, before the
                    // reads ahead of them are answered, say nothing.
                    file.ReachedEnd = true;
                }

                break;
            case SftpRequestKind.Readdir when request.Handle is { } directory:
                if (code != SftpStatus.Eof && code != SftpStatus.Ok)
                {
                    directory.ListingFailure ??= (SftpStatus.Name(code), message);
                }

                break;
            case SftpRequestKind.CutToContent when request.Handle is { } file:
                file.CutToContent |= code == SftpStatus.Ok;
                Events.Add(SftpEvents.Answered(request.Event!, code, message));
                break;
            case SftpRequestKind.Close when request.Handle is { } handle:
                Events.Add(SftpEvents.Closed(handle, code, message));
                _handles.Remove(handle);
                break;
            default:
                if (request.Event is { } fields)
                {
                    Events.Add(SftpEvents.Answered(fields, code, message));
                }

                break;
        }
    }

    private void OnHandle(SftpRequest request, ReadOnlySpan<byte> handle)
    {
        if (handle.Length > SftpPacketAssembler.MaxHandleLength)
        {
            throw new SftpDecodingException($"the server gave a handle of {handle.Length} bytes (at most {SftpPacketAssembler.MaxHandleLength})");
        }

        switch (request.Kind)
        {
            case SftpRequestKind.Open:
                _handles.Add(new SftpOpenHandle(handle.ToArray(), request.Path!, request.Flags, isDirectory: false));
                var opened = SftpEvents.Answered(request.Event!, SftpStatus.Ok, "");
                opened["handle"] = Convert.ToHexStringLower(handle);
                Events.Add(opened);
                break;
            case SftpRequestKind.Opendir:
                // The listing is one event, written when the handle closes with its count of entries.
                _handles.Add(new SftpOpenHandle(handle.ToArray(), request.Path!, SftpOpenFlags.None, isDirectory: true));
                break;
            default:
                OnOtherAnswer(SftpPacketType.Handle, request);
                break;
        }
    }

    private void ExpectChange(uint id, JsonObject fields) => Expect(id, new SftpRequest(SftpRequestKind.Change, Event: fields));

    private void Expect(uint id, SftpRequest request)
    {
        if (_waiting.Count >= MaxWaitingRequests)
        {
            throw new SftpDecodingException($"more than {MaxWaitingRequests} requests are waiting for an answer");
        }

        if (!_waiting.TryAdd(id, request))
        {
            throw new SftpDecodingException($"request id {id} was used again before its answer came");
        }
    }

    private static string Detail(string message) => message.Length > 0 ? $" ({message})" : "";
}
