using System.Buffers.Binary;
using System.Net.Sockets;
using HoopProxy.Core.Configuration;
using HoopProxy.Host.Demo;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>TLS between the client and the proxy, with psql (libpq) as the client.</summary>
public sealed class ClientTlsTests
{
    private TestCertificates _certificates = null!;

    [OneTimeSetUp]
    public void CreateCertificates() => _certificates = TestCertificates.Create();

    [OneTimeTearDown]
    public void DeleteCertificates() => _certificates.Dispose();

    private Task<ProxyInstance> StartTlsProxyAsync(ClientAuthenticationMethod method = ClientAuthenticationMethod.ScramSha256) =>
        ProxyInstance.StartAsync(o => o with
        {
            Tls = _certificates.ProxyTlsOptions,
            ClientAuthentication = method,
        });

    private static async Task<ExternalProcess.Result> PsqlAsync(ProxyInstance proxy, string sslMode, string sql, string host = "127.0.0.1", string? rootCert = null)
    {
        var environment = proxy.LibpqEnvironment();
        environment["PGHOST"] = host;
        environment["PGSSLMODE"] = sslMode;
        if (rootCert is not null)
        {
            environment["PGSSLROOTCERT"] = rootCert;
        }

        return await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", sql], environment);
    }

    [Test]
    public async Task Sslmode_require_gets_an_encrypted_session()
    {
        await using var proxy = await StartTlsProxyAsync();
        var result = await PsqlAsync(proxy, "require", @"\conninfo");
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardOutput, Does.Contain("SSL connection"));
    }

    [Test]
    public async Task Sslmode_verify_full_accepts_the_configured_certificate()
    {
        await using var proxy = await StartTlsProxyAsync();
        var result = await PsqlAsync(proxy, "verify-full", "SELECT current_user", host: "localhost", rootCert: _certificates.CaCertificateFile);
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardOutput.Trim(), Is.EqualTo("app"));
    }

    [Test]
    public async Task Sslmode_verify_full_refuses_a_certificate_from_another_ca()
    {
        await using var proxy = await StartTlsProxyAsync();
        using var otherCa = TestCertificates.Create("Some Other CA");
        var result = await PsqlAsync(proxy, "verify-full", "SELECT 1", host: "localhost", rootCert: otherCa.CaCertificateFile);
        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.StandardError, Does.Contain("certificate verify failed"));
    }

    [Test]
    public async Task Without_tls_configured_require_is_refused_and_prefer_falls_back_to_plaintext()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        var require = await PsqlAsync(proxy, "require", "SELECT 1");
        Assert.That(require.ExitCode, Is.Not.Zero);
        Assert.That(require.StandardError, Does.Contain("server does not support SSL"));

        var prefer = await PsqlAsync(proxy, "prefer", @"\conninfo");
        Assert.That(prefer.ExitCode, Is.Zero, prefer.Combined);
        Assert.That(prefer.StandardOutput, Does.Not.Contain("SSL connection"));
    }

    [Test]
    public async Task Cleartext_password_is_asked_for_inside_tls_and_scram_is_kept_for_plaintext()
    {
        await using var proxy = await StartTlsProxyAsync(ClientAuthenticationMethod.Cleartext);
        var tls = await PsqlAsync(proxy, "require", "SELECT 'tls'");
        Assert.That(tls.ExitCode, Is.Zero, tls.Combined);

        // require_auth (libpq 16+) is not available in libpq 15, so prove the method by the wire instead.
        var method = await FirstAuthenticationRequestAsync(proxy.Port);
        Assert.That(method, Is.EqualTo(10), "a plaintext connection must be offered SASL (10), never cleartext (3)");

        var plain = await PsqlAsync(proxy, "disable", "SELECT 'plain'");
        Assert.That(plain.ExitCode, Is.Zero, plain.Combined);
        Assert.That(plain.StandardOutput.Trim(), Is.EqualTo("plain"));
    }

    [Test]
    public async Task Plaintext_bytes_sent_after_SSLRequest_are_refused()
    {
        await using var proxy = await StartTlsProxyAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", proxy.Port);
        // SSLRequest and a startup packet in one write: the injection of CVE-2021-23214.
        var request = new byte[8 + 9];
        BinaryPrimitives.WriteInt32BigEndian(request, 8);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(4), 80877103);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(8), 9);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(12), 196608);
        await socket.SendAsync(request, SocketFlags.None);

        var received = await RawProtocol.ReceiveUntilClosedAsync(socket, TimeSpan.FromSeconds(10));
        // The injected bytes are seen before the proxy answers, so it never says 'S' and never starts TLS.
        var error = RawProtocol.ParseError(received);
        Assert.That(error.SqlState, Is.EqualTo("08P01"));
        Assert.That(error.Message, Does.Contain("unencrypted data after SSL request"));
    }

    private static async Task<int> FirstAuthenticationRequestAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port);
        await socket.SendAsync(RawProtocol.StartupPacket(ProxyInstance.UserName, TestCluster.TargetDatabase), SocketFlags.None);
        var message = await RawProtocol.ReceiveMessageAsync(socket, TimeSpan.FromSeconds(10));
        Assert.That(message.Code, Is.EqualTo((byte)'R'));
        return BinaryPrimitives.ReadInt32BigEndian(message.Body);
    }
}
