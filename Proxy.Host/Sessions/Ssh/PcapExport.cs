using System.Globalization;
using HoopProxy.Core.Recording;

namespace HoopProxy.Host.Sessions.Ssh;

public sealed record PcapRequest(string SessionId, bool Unverified = false);

/// <summary>
/// <c>hoopproxy sessions export ID --format pcap</c>: the forwarded channels of an SSH session (ssh -L, -D, -W, -J, -R)
/// as TCP conversations in a pcap file, for Wireshark and the tools that read captures (docs/ssh.md, "Exporting
/// forwarded traffic"). Terminal and command channels are not TCP; <c>replay</c> and the asciicast export show those.
/// </summary>
public static class PcapExport
{
    /// <returns>
    /// 0 when written; 1 when there is nothing to export or the session cannot be read to its end (the reason is on
    /// <paramref name="errors"/>). A session without forwarded channels is refused rather than written as an empty
    /// capture, which would read as "no traffic" where the truth is "no tunnel". The records are read twice, one at a
    /// time: the events first (<see cref="ForwardedChannelScan"/>), then everything as it is written.
    /// </returns>
    /// <param name="errors">Also gets, per conversation, which channel it is and what was made up for its ends.</param>
    public static int Run(RecordingOptions options, PcapRequest request, Func<Stream> openOutput, TextWriter errors)
    {
        var sessionId = request.SessionId;
        if (SessionCatalog.Find(options.Directory, sessionId, errors) is not { } path)
        {
            return 1;
        }

        try
        {
            var reader = new RecordingReader(path);
            if (!SshSessions.IsSsh(reader.Metadata))
            {
                errors.WriteLine($"session {sessionId} is a {reader.Metadata.Protocol} session; the pcap export takes SSH sessions with forwarded channels — use show");
                return 1;
            }

            if (!SessionIntegrity.Check(options, sessionId, errors, request.Unverified, "Run 'hoopproxy sessions verify' for the details, or add --unverified to export it anyway."))
            {
                return 1;
            }

            var scan = ForwardedChannelScan.Read(reader.ReadRecords());
            if (scan.Connections == 0)
            {
                errors.WriteLine($"session {sessionId} has no forwarded channels (direct-tcpip or forwarded-tcpip: ssh -L, -D, -W, -J or -R)"
                    + (scan.RefusedAfterOpen.Count > 0 ? $" that connected ({scan.RefusedAfterOpen.Count} refused when opened)" : "")
                    + "; the pcap export writes forwarded TCP traffic — use replay or --format asciicast for terminals");
                return 1;
            }

            var traffic = Write(reader, scan, openOutput, errors);
            Summarize(sessionId, traffic, reader.Incomplete, errors);
            return 0;
        }
        catch (InvalidDataException e)
        {
            errors.WriteLine($"session {sessionId} cannot be read to its end: {e.Message}");
            return 1;
        }
    }

    private static ForwardedChannelTraffic Write(RecordingReader reader, ForwardedChannelScan scan, Func<Stream> openOutput, TextWriter errors)
    {
        using var output = openOutput();
        using var pcap = new PcapWriter(output);
        var traffic = new ForwardedChannelTraffic(pcap, scan.RefusedAfterOpen, errors);
        foreach (var record in reader.ReadRecords())
        {
            traffic.Take(record);
        }

        traffic.End();
        return traffic;
    }

    private static void Summarize(string sessionId, ForwardedChannelTraffic traffic, string? incomplete, TextWriter errors)
    {
        var others = traffic.OtherChannels switch
        {
            0 => "",
            1 => "; 1 other channel (a terminal, command or sftp) left out",
            var n => string.Create(CultureInfo.InvariantCulture, $"; {n} other channels (terminals, commands, sftp) left out"),
        };
        errors.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"session {sessionId}: {(traffic.Conversations == 1 ? "1 forwarded channel written as a TCP conversation" : $"{traffic.Conversations} forwarded channels written as TCP conversations")}{others}"));
        if (traffic.BytesLeftOut > 0)
        {
            errors.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"warning: {traffic.BytesLeftOut} bytes of forwarded channels are not in the capture: sent after their side's EOF, or as extended data"));
        }

        if (incomplete is not null)
        {
            errors.WriteLine($"warning: the recording ends early ({incomplete}); the connections still open there end with a RST");
        }

        if (traffic.SyntheticNames.Count > 0)
        {
            errors.WriteLine("host names stand for synthetic addresses (a hosts file for Wireshark's name resolution):");
            foreach (var (address, name) in traffic.SyntheticNames)
            {
                errors.WriteLine($"{address}\t{name}");
            }
        }
    }
}
