using HoopProxy.Ssh.Policy;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

[TestFixture]
public sealed class ShellCommandLineTests
{
    [TestCase("rm -rf /", new[] { "rm" })]
    [TestCase("/usr/bin/rm x", new[] { "rm" })]
    [TestCase("echo a; rm b && ls | wc -l || true & sleep 1", new[] { "echo", "rm", "ls", "wc", "true", "sleep" })]
    [TestCase("FOO=1 BAR=2 psql -c 'select 1'", new[] { "psql" })]
    [TestCase("sudo -u postgres psql", new[] { "psql" })]
    [TestCase("env -i PATH=/bin nice -n 10 timeout 5 nohup rm x", new[] { "rm" })]
    [TestCase("echo \"rm inside quotes\" 'and ; here'", new[] { "echo" })]
    [TestCase("echo $(whoami) `hostname`", new[] { "echo", "whoami", "hostname" })]
    [TestCase("(cd /tmp && rm x)", new[] { "cd", "rm" })]
    [TestCase("r\\m x", new[] { "rm" })]
    [TestCase("echo hi # rm not run", new[] { "echo" })]
    [TestCase("", new string[0])]
    public void The_programs_of_each_simple_command(string line, string[] expected)
    {
        Assert.That(ShellCommandLine.Programs(line), Is.EqualTo(expected));
    }

    [TestCase("echo 'unterminated")]
    [TestCase("echo \"unterminated")]
    public void A_line_with_an_unterminated_quote_cannot_be_read(string line)
    {
        Assert.That(ShellCommandLine.Programs(line), Is.Null);
    }
}
