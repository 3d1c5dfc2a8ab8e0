namespace HoopProxy.Ssh.Shell;

/// <summary>Turns a shell channel's input into the lines the shell reads (see <see cref="TypedLineReader"/>, <see cref="ScriptLineReader"/>).</summary>
internal interface ILineReader
{
    /// <summary>Bytes from the client (keystrokes, or a script on stdin); lines it ends are added to <paramref name="lines"/> in order.</summary>
    void ReadInput(ReadOnlySpan<byte> input, List<TypedLine> lines);

    /// <summary>Bytes the client's terminal is sent (the shell's echo, prompts, full-screen programs).</summary>
    void ReadOutput(ReadOnlySpan<byte> output);

    /// <summary>The channel closed: a line begun but not ended is added as <see cref="TypedLineEnd.Unfinished"/>.</summary>
    void Finish(List<TypedLine> lines);
}
