using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HoopProxy.Core.Configuration;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>A throwaway self-signed certificate for the proxy's listener, written as PEM files the way an operator configures it.</summary>
public sealed class TestCertificate : IDisposable
{
    private readonly string _directory;

    private TestCertificate(string directory, TlsOptions options)
    {
        _directory = directory;
        Options = options;
    }

    public TlsOptions Options { get; }

    public static TestCertificate Create(string commonName = "localhost")
    {
        var directory = Directory.CreateTempSubdirectory("hoopproxy-cert-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(commonName);
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        var certificateFile = Path.Combine(directory, "proxy.crt");
        var keyFile = Path.Combine(directory, "proxy.key");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return new TestCertificate(directory, new TlsOptions(certificateFile, keyFile));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
