using System.Text.Json.Nodes;
using HoopProxy.Ssh.Connection.Messages;

namespace HoopProxy.Ssh.Session;

/// <summary>
/// The fields of a <c>channel-request</c> event (docs/recording-format.md, "SSH sessions"): the request and, for the
/// types RFC 4254 defines, what it asked for — the exec command line, the terminal and its size, resizes, environment
/// variables, signals and how the command ended. Malformed request data is recorded as such (the target judges it).
/// </summary>
internal static class ChannelRequestEvent
{
    public static JsonObject Describe(RelayedChannel channel, ChannelRequest request, bool fromClient)
    {
        var fields = new JsonObject
        {
            ["channel"] = channel.Id,
            ["from"] = fromClient ? "client" : "server",
            ["request"] = request.RequestType,
            ["want_reply"] = request.WantReply,
        };
        try
        {
            AddDetails(channel, request, fields);
        }
        catch (SshProtocolException e)
        {
            fields["malformed"] = e.Message;
        }

        return fields;
    }

    private static void AddDetails(RelayedChannel channel, ChannelRequest request, JsonObject fields)
    {
        switch (request.RequestType)
        {
            case ExecRequest.Type:
                var exec = request.ReadData<ExecRequest>();
                var command = exec.CommandText ?? Convert.ToHexString(exec.Command.Span);
                fields["command"] = command;
                channel.Command = command;
                break;
            case SubsystemRequest.Type:
                var subsystem = request.ReadData<SubsystemRequest>().SubsystemName;
                fields["subsystem"] = subsystem;
                channel.Command = "subsystem " + subsystem;
                break;
            case ShellRequest.Type:
                channel.Command = "shell";
                break;
            case PtyRequest.Type:
                var pty = request.ReadData<PtyRequest>();
                fields["term"] = pty.Term;
                fields["cols"] = pty.WidthColumns;
                fields["rows"] = pty.HeightRows;
                fields["width_px"] = pty.WidthPixels;
                fields["height_px"] = pty.HeightPixels;
                break;
            case WindowChangeRequest.Type:
                var size = request.ReadData<WindowChangeRequest>();
                fields["cols"] = size.WidthColumns;
                fields["rows"] = size.HeightRows;
                fields["width_px"] = size.WidthPixels;
                fields["height_px"] = size.HeightPixels;
                break;
            case EnvRequest.Type:
                var env = request.ReadData<EnvRequest>();
                fields["name"] = env.VariableName;
                fields["value"] = env.VariableValue;
                break;
            case SignalRequest.Type:
                fields["signal"] = request.ReadData<SignalRequest>().SignalName;
                break;
            case ExitStatusRequest.Type:
                fields["status"] = request.ReadData<ExitStatusRequest>().ExitStatus;
                break;
            case ExitSignalRequest.Type:
                var exit = request.ReadData<ExitSignalRequest>();
                fields["signal"] = exit.SignalName;
                fields["core_dumped"] = exit.CoreDumped;
                fields["message"] = exit.ErrorMessage;
                break;
            case BreakRequest.Type:
                fields["break_ms"] = request.ReadData<BreakRequest>().BreakLengthMilliseconds;
                break;
        }
    }
}
