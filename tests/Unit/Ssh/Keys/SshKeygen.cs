using System.Diagnostics;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Keys;

/// <summary>Runs OpenSSH's real <c>ssh-keygen</c>, the reference our key code must agree with byte for byte.</summary>
internal sealed class SshKeygen(string directory)
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    public string Directory { get; } = directory;

    public string PathOf(string name) => System.IO.Path.Combine(Directory, name);

    /// <summary>Runs ssh-keygen with <paramref name="arguments"/>; the standard input, when given, is a file's content.</summary>
    public static Result Run(IEnumerable<string> arguments, string? standardInputFile = null)
    {
        var start = new ProcessStartInfo("ssh-keygen")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (standardInputFile is not null)
        {
            process.StandardInput.BaseStream.Write(File.ReadAllBytes(standardInputFile));
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            Assert.Fail("ssh-keygen did not finish within two minutes");
        }

        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs ssh-keygen and fails the test unless it exits 0; returns its standard output.</summary>
    public static string Succeed(params string[] arguments)
    {
        var result = Run(arguments);
        Assert.That(result.ExitCode, Is.Zero, $"ssh-keygen {string.Join(' ', arguments)}: {result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary><c>ssh-keygen -t TYPE [-b BITS] -N '' -f NAME</c>; returns the private key's path (the public one is <c>path.pub</c>).</summary>
    public string Generate(string type, int? bits, string name, string comment = "interop@test", params string[] extra)
    {
        var path = PathOf(name);
        var arguments = new List<string> { "-q", "-t", type, "-N", "", "-C", comment, "-f", path };
        if (bits is { } b)
        {
            arguments.AddRange(["-b", b.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        arguments.AddRange(extra);
        Succeed([.. arguments]);
        return path;
    }

    /// <summary>The SHA256 field of <c>ssh-keygen -l -f FILE</c> ("256 SHA256:… comment (ED25519)").</summary>
    public static string Fingerprint(string file) => Succeed("-l", "-E", "sha256", "-f", file).Split(' ')[1];
}
