using System.Text.Json.Nodes;
using HoopProxy.Ssh.Session;

namespace HoopProxy.Ssh.Shell;

/// <summary>
/// Watches a shell channel: the client's bytes become command lines (<see cref="ILineReader"/>), each judged by the
/// Block rules for typed lines before the bytes that end it are forwarded, and recorded as a <c>typed-line</c> event
/// while the session is recorded. A blocked line ends the session: its Enter never reaches the shell, and neither
/// does anything else in the same message (lines before it there are recorded as <c>withheld</c>).
/// </summary>
internal sealed class TypedLineObserver(ILineReader reader, Func<string, string?> refuse, bool recording, bool terminal, int maxLineLength)
    : IChannelObserver
{
    public const string EventType = "typed-line";

    private readonly List<TypedLine> _lines = [];
    private readonly List<ChannelObservation> _found = [];
    private readonly ContinuedCommand _command = new();
    private bool _ended;

    public void OnData(bool fromClient, ReadOnlySpan<byte> data, ICollection<ChannelObservation> observations)
    {
        if (_ended)
        {
            return;
        }

        if (!fromClient)
        {
            reader.ReadOutput(data);
            return;
        }

        _lines.Clear();
        reader.ReadInput(data, _lines);
        Report(observations);
    }

    public void OnClose(ICollection<ChannelObservation> observations)
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
        _lines.Clear();
        reader.Finish(_lines);
        Report(observations);
    }

    private void Report(ICollection<ChannelObservation> observations)
    {
        _found.Clear();
        foreach (var line in _lines)
        {
            string? command = null;
            string? blocked = null;
            if (line.End == TypedLineEnd.Entered)
            {
                // A password is judged alone (it is no part of a command) but judged all the same: a prompt that
                // merely looks like one must not let a line past the rules.
                command = line.AtPasswordPrompt ? line.Text : _command.Add(line.Text);
                blocked = refuse(command);
            }
            else
            {
                _command.Reset();
            }

            if (blocked is null && !recording)
            {
                continue;
            }

            var fields = Describe(line, command, blocked);
            if (blocked is not null)
            {
                foreach (var earlier in _found)
                {
                    earlier.Fields["withheld"] = true;
                }

                _found.Add(new ChannelObservation(EventType, fields) { EndSession = blocked });
                _ended = true;
                break;
            }

            _found.Add(new ChannelObservation(EventType, fields));
        }

        foreach (var observation in _found)
        {
            observations.Add(observation);
        }
    }

    private JsonObject Describe(TypedLine line, string? command, string? blocked)
    {
        var fields = new JsonObject
        {
            ["line"] = line.AtPasswordPrompt ? "" : line.Text,
            ["uncertain"] = line.Uncertainty != Uncertainty.None,
        };
        if (line.Uncertainty != Uncertainty.None)
        {
            fields["reason"] = TypedLine.Describe(line.Uncertainty, maxLineLength);
        }

        if (line.AtPasswordPrompt)
        {
            fields["redacted"] = "typed at what looks like a password prompt that echoed nothing";
        }
        else if (command is not null && command != line.Text)
        {
            fields["command"] = command;
        }

        if (line.End == TypedLineEnd.Cancelled)
        {
            fields["cancelled"] = true;
        }
        else if (line.End == TypedLineEnd.Unfinished)
        {
            fields["unfinished"] = true;
        }

        if (!terminal)
        {
            fields["terminal"] = false;
        }

        if (blocked is not null)
        {
            fields["blocked"] = blocked;
        }

        return fields;
    }
}
