using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Core.Configuration;

/// <summary>The listener's certificate and key, PEM files.</summary>
public sealed record TlsOptions(string CertificateFile, string KeyFile)
{
    public static TlsOptions? FromConfiguration(IConfigurationSection section, string baseDirectory)
    {
        if (!section.Exists())
        {
            return null;
        }

        var cert = Resolve(baseDirectory, section.RequiredString("CertificateFile"));
        var key = Resolve(baseDirectory, section.RequiredString("KeyFile"));
        if (!File.Exists(cert))
        {
            throw new ConfigurationException(ConfigReader.Path(section, "CertificateFile"), $"file '{cert}' does not exist");
        }

        if (!File.Exists(key))
        {
            throw new ConfigurationException(ConfigReader.Path(section, "KeyFile"), $"file '{key}' does not exist");
        }

        return new TlsOptions(cert, key);
    }

    /// <summary>Loads the pair; re-imported as PKCS#12 because SslStream needs a key it can use for the handshake.</summary>
    public X509Certificate2 LoadCertificate()
    {
        using var pem = X509Certificate2.CreateFromPemFile(CertificateFile, KeyFile);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    public static string Resolve(string baseDirectory, string path) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));
}
