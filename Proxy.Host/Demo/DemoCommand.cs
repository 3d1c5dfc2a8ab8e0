using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using HoopProxy.Core.Recording;
using Microsoft.Extensions.Logging;
using HoopProxy.Host.Configuration;
using Microsoft.Extensions.Hosting;

namespace HoopProxy.Host.Demo;

/// <summary>
/// <c>hoopproxy demo</c>: a throwaway PostgreSQL with a small bank schema, the proxy in front of it with a
/// sample configuration, and the command lines to connect. Ctrl-C stops everything and deletes the folder.
/// </summary>
public static class DemoCommand
{
    public const string TargetPassword = "app-secret";

    public static async Task<int> RunAsync(int port, CancellationToken cancellationToken)
    {
        Console.WriteLine("Starting a throwaway PostgreSQL cluster …");
        // Until the host's own console lifetime takes over, Ctrl-C or SIGTERM must still remove the cluster.
        using var interrupted = new CancellationTokenSource();
        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            interrupted.Cancel();
        }

        LocalPostgresCluster cluster;
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt))
        {
            cluster = await LocalPostgresCluster.StartAsync();
            try
            {
                await cluster.CreateRoleAndDatabaseAsync("app", TargetPassword, "bank");
                await cluster.ExecuteAsync(SampleSchema, database: "bank");
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }

        await using var _ = cluster;
        if (interrupted.IsCancellationRequested)
        {
            Console.WriteLine("Interrupted; removing the throwaway cluster.");
            return 130;
        }

        var folder = Path.Combine(cluster.Directory, "proxy");
        Directory.CreateDirectory(folder);
        // The SSH half needs root (sshd switches to the target account); without it the demo is PostgreSQL only.
        await using var sshd = Environment.IsPrivilegedProcess ? await LocalSshd.StartAsync() : null;
        var ssh = sshd is null ? null : await SshDemoAsync(sshd, folder);
        WriteSelfSignedCertificate(folder);
        var configPath = Path.Combine(folder, "hoopproxy.json");
        RecordingSigningKey.Generate(Path.Combine(folder, "recording.key"));
        var adminPort = LocalPostgresCluster.FreeTcpPort();
        var approverToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var idp = await DemoIdentityProvider.CreateAsync(folder, cancellationToken);
        await File.WriteAllTextAsync(configPath, SampleConfiguration(port, cluster.Port, adminPort, approverToken, ssh, idp), cancellationToken);

        var configuration = ProxyConfiguration.Load(configPath);
        using var recordingLogs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        await using var recordings = await RecordingStore.OpenAsync(configuration.Recording!, recordingLogs.CreateLogger("HoopProxy.Recording"));
        await using var audit = await Core.Audit.AuditLog.OpenAsync(configuration.Audit!, recordingLogs.CreateLogger("HoopProxy.Audit"));
        using var identity = await Core.Identity.IdentityServices.StartAsync(configuration.Identity, recordingLogs, audit, cancellationToken);
        using var host = ProxyHostBuilder.Build(configuration, recordings, configPath, audit, identity);
        await host.StartAsync(cancellationToken);
        var listen = configuration.Postgres!.Listen;
        Console.WriteLine($"""

            HoopProxy is listening on {listen} in front of PostgreSQL on 127.0.0.1:{cluster.Port} (database "bank").
            Configuration: {configPath}

            Connect as a proxy user (the proxy logs in upstream as "app"; clients never see its password):
              PGPASSWORD=alice-pw psql -h 127.0.0.1 -p {listen.Port} -U alice bank
              PGPASSWORD=alice-pw psql "host=127.0.0.1 port={listen.Port} user=alice dbname=bank sslmode=require"
              PGPASSWORD=bob-pw pgbench -h 127.0.0.1 -p {listen.Port} -U bob -S -T 5 bank   (after: pgbench -i -h 127.0.0.1 -p {listen.Port} -U bob bank)

            Try: SELECT current_user, * FROM customers;

            The sample masking (rules "pii-columns" and "detect-everywhere"):
              as alice (analysts): SELECT name, ssn, email FROM customers;   -- ssn ***-**-8726, email [REDACTED:email]
              as bob (engineers):  SELECT ssn, number, iban FROM customers JOIN accounts ON customer_id = customers.id;
                                   -- [REDACTED:us-ssn], [REDACTED:payment-card], [REDACTED:iban]
              COPY customers TO STDOUT;  -- masked too, as are errors, notices and NOTIFY payloads

            The sample policy (edit the configuration file; it is reloaded when it changes):
              DELETE FROM accounts;          -- ERROR 42501: blocked by rule "protect-accounts"
              DROP DATABASE bank;            -- ERROR 42501: blocked by rule "no-drop-database"
              CREATE TABLE notes (t text);   -- held for approval by rule "ddl-needs-approval"; in another terminal:
                HOOPPROXY_TOKEN={approverToken} dotnet run --project Proxy.Host -- approvals list --config {configPath}
                HOOPPROXY_TOKEN={approverToken} dotnet run --project Proxy.Host -- approvals approve REQUEST-ID --config {configPath}
              (the token is dora's, an approver in group "dba"; the admin API listens on 127.0.0.1:{adminPort})

            Every session is recorded (hash-chained, signed); read the record beside the running proxy:
              dotnet run --project Proxy.Host -- sessions list --config {configPath}
              dotnet run --project Proxy.Host -- sessions show SESSION-ID --config {configPath}
              dotnet run --project Proxy.Host -- sessions verify --config {configPath}

            {SshInstructions(ssh, configPath, listen.Port)}
            {TokenInstructions(idp, ssh, listen.Port, configPath)}
            Press Ctrl-C to stop; the cluster, the sshd and their folders are removed.
            """);
        try
        {
            await host.WaitForShutdownAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        await host.StopAsync(CancellationToken.None);
        Console.WriteLine("Stopped; removing the throwaway cluster.");
        return 0;
    }

    /// <summary>The SSH side of the demo: the throwaway sshd as target "web", a key pair for alice, the listener's port.</summary>
    private sealed record SshDemo(LocalSshd Target, int Port, string HostKeyFingerprint, string ClientKeyFile);

    private static async Task<SshDemo> SshDemoAsync(LocalSshd sshd, string folder)
    {
        var clientKey = Path.Combine(folder, "alice_ed25519");
        await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "alice@laptop", "-f", clientKey]);
        var port = IsFree(2222) ? 2222 : LocalPostgresCluster.FreeTcpPort();
        return new SshDemo(sshd, port, await sshd.HostKeyFingerprintAsync(), clientKey);
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <param name="postgresPort">The proxy's own PostgreSQL listener: the one destination the sample tunnel rule allows.</param>
    private static string SshInstructions(SshDemo? ssh, string configPath, int postgresPort) => ssh is null
        ? "(SSH: run the demo as root to get a throwaway sshd behind the proxy's SSH listener too.)\n"
        : $"""
            HoopProxy's SSH listener is on 127.0.0.1:{ssh.Port} in front of a throwaway sshd on 127.0.0.1:{ssh.Target.Port} (target "web",
            account "{LocalSshd.UserName}"; the proxy logs in with its own key, pinned host key {ssh.HostKeyFingerprint}):
              ssh -i {ssh.ClientKeyFile} -p {ssh.Port} alice@127.0.0.1                 # a shell, as alice's key
              ssh -p {ssh.Port} alice+web@127.0.0.1 'id; uname -a'                      # password alice-pw; "+web" names the target
              scp -O -P {ssh.Port} -i {ssh.ClientKeyFile} README.md alice@127.0.0.1:/tmp/  # -O: scp over exec; sftp works too
              ssh -i {ssh.ClientKeyFile} -p {ssh.Port} -N -L 6543:127.0.0.1:{postgresPort} alice@127.0.0.1   # rule "alice-db-tunnel"; then
                PGPASSWORD=alice-pw psql -h 127.0.0.1 -p 6543 -U alice bank       # the proxy's PostgreSQL listener, through SSH
              ssh -i {ssh.ClientKeyFile} -p {ssh.Port} -W 127.0.0.1:25 alice@127.0.0.1           # refused: no rule allows it
              ssh -i {ssh.ClientKeyFile} -p {ssh.Port} alice@127.0.0.1 'rm -rf /tmp/x'          # exit 126: rule "no-destructive-commands"
              ssh -i {ssh.ClientKeyFile} -p {ssh.Port} alice@127.0.0.1 'kill -0 $$ && echo approved'  # held: rule "kill-needs-approval";
                (approve it with the approvals commands above; the request id is on ssh's stderr)
              typing "rm -rf /" in an interactive shell ends the session before the shell sees the Enter: rule "no-rm-rf-root-typed"
            Replay a recorded terminal session, or export it for asciinema:
              dotnet run --project Proxy.Host -- sessions replay SESSION-ID --config {configPath}
            Who did what, from the audit trail (hash-chained, signed checkpoints):
              dotnet run --project Proxy.Host -- audit query --config {configPath} --type statement,command,policy,approval
              dotnet run --project Proxy.Host -- audit verify --config {configPath}
              dotnet run --project Proxy.Host -- sessions export SESSION-ID --format asciicast --config {configPath} > session.cast

            """;

    /// <summary>Logging in with the demo provider's token, and revoking it while the sessions run.</summary>
    private static string TokenInstructions(DemoIdentityProvider idp, SshDemo? ssh, int postgresPort, string configPath)
    {
        var sshLine = ssh is null ? "" : $"  ssh -p {ssh.Port} -l {idp.UserName} 127.0.0.1 'sleep 600'     # paste the token at the prompt\n";
        var revocation = $"{{\"tokenIds\": [\"{idp.TokenId}\"]}}";
        return $"""
            OIDC access tokens (docs/identity.md): the demo's own provider (keys in {idp.JwksFile}) issued a token for
            {idp.UserName} (group "contractors"), valid until {idp.ExpiresAt.UtcDateTime:HH:mm} UTC, token id {idp.TokenId}:
              PGPASSWORD=$(cat {idp.TokenFile}) psql "host=127.0.0.1 port={postgresPort} user={idp.UserName} dbname=bank sslmode=require"
            {sshLine}Offboard carol while her sessions run: they end within a second, and the token no longer logs in:
              echo '{revocation}' > {idp.RevocationsFile}
              dotnet run --project Proxy.Host -- audit query --config {configPath} --user {idp.UserName}

            """;
    }

    private static string SampleConfiguration(int port, int postgresPort, int adminPort, string approverToken, SshDemo? ssh, DemoIdentityProvider idp) =>
        JsonSerializer.Serialize(new
    {
        Identity = idp.Configuration,
        Postgres = new
        {
            Listen = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            DefaultTarget = "bank",
            Tls = new { CertificateFile = "server.crt", KeyFile = "server.key" },
            Targets = new
            {
                bank = new { Host = "127.0.0.1", Port = postgresPort, Database = "bank", Username = "app", Password = TargetPassword, SslMode = "prefer" },
            },
        },
        Ssh = ssh is null ? null : new
        {
            Listen = $"127.0.0.1:{ssh.Port.ToString(CultureInfo.InvariantCulture)}",
            HostKeyFile = "ssh_host_ed25519",
            DefaultTarget = "web",
            Targets = new
            {
                web = new
                {
                    Host = ssh.Target.Host, ssh.Target.Port, Username = LocalSshd.UserName, PrivateKeyFile = ssh.Target.UserKeyFile,
                    HostKey = ssh.HostKeyFingerprint,
                },
            },
        },
        // Commands: destructive ones are blocked, kill and systemctl wait for a dba's approval, and a typed "rm -rf /"
        // ends an interactive session. Tunnels: alice may reach the proxy's own PostgreSQL listener from the target host
        // (so the tunnelled session is still judged, masked and recorded), nothing else.
        SshPolicies = ssh is null ? null : new object[]
        {
            new { Name = "no-destructive-commands", Action = "Block", Match = new { Channels = new[] { "exec" }, Commands = new[] { "rm", "shutdown", "reboot", "mkfs" } } },
            new { Name = "no-rm-rf-root-typed", Action = "Block", Match = new { Channels = new[] { "shell" }, Pattern = @"^\s*(sudo\s+)?rm\s+-[a-zA-Z]*[rR][a-zA-Z]*\s+/\s*$" } },
            new { Name = "kill-needs-approval", Action = "Review", Approvers = new[] { "dba" }, Timeout = "00:05:00", Match = new { Channels = new[] { "exec" }, Commands = new[] { "kill", "pkill", "systemctl" } } },
            new
            {
                Name = "alice-db-tunnel", Action = "Allow",
                Match = new { Users = new[] { "alice" }, Channels = new[] { "direct-tcpip" }, Destinations = new[] { $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}" } },
            },
        },
        Recording = new { Directory = "recordings", SigningKeyFile = "recording.key", Compression = "zstd" },
        // The audit trail of both listeners, its checkpoints signed with the recordings' key.
        Audit = new { File = "audit/audit.jsonl", SigningKeyFile = "recording.key" },
        // The issue's sample rules, as written.
        Policies = new object[]
        {
            new { Name = "no-drop-database", Action = "Block", Match = new { Commands = new[] { "DROP DATABASE" } } },
            new { Name = "protect-accounts", Action = "Block", Match = new { Commands = new[] { "DELETE", "TRUNCATE" }, Relations = new[] { "public.accounts" } } },
            new { Name = "ddl-needs-approval", Action = "Review", Approvers = new[] { "dba" }, Timeout = "00:05:00", Match = new { Classes = new[] { "DDL" } } },
        },
        // The issue's masking rules, as written.
        Masking = new object[]
        {
            new { Name = "pii-columns", Match = new { Groups = new[] { "analysts" } }, Columns = new[] { "public.customers.ssn", "public.accounts.number" },
                Operator = "Partial", Keep = 4 },
            new { Name = "detect-everywhere", Detectors = new[] { "us-ssn", "payment-card", "email", "phone", "iban", "aba-routing" }, Operator = "Redact" },
        },
        Admin = new
        {
            Listen = $"127.0.0.1:{adminPort.ToString(CultureInfo.InvariantCulture)}",
            Approvers = new { dora = new { Token = approverToken, Groups = new[] { "dba" } } },
        },
        Users = new
        {
            alice = new
            {
                Password = "alice-pw", Groups = new[] { "analysts" },
                AuthorizedKeys = ssh is null ? [] : new[] { File.ReadAllText(ssh.ClientKeyFile + ".pub").Trim() },
            },
            bob = new { Password = "bob-pw", Groups = new[] { "engineers" } },
        },
    }, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });

    /// <summary>A self-signed certificate for localhost so the demo shows TLS (sslmode=require) too.</summary>
    public static void WriteSelfSignedCertificate(string folder, string certificateName = "server.crt", string keyName = "server.key")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllText(Path.Combine(folder, certificateName), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, keyName), key.ExportPkcs8PrivateKeyPem());
    }

    private const string SampleSchema = """
        SET ROLE app;
        CREATE TABLE customers (
            id serial PRIMARY KEY,
            name text NOT NULL,
            email text NOT NULL,
            ssn text NOT NULL,
            phone text
        );
        CREATE TABLE accounts (
            id serial PRIMARY KEY,
            customer_id int NOT NULL REFERENCES customers(id),
            number text NOT NULL UNIQUE,
            iban text,
            balance numeric(12,2) NOT NULL DEFAULT 0
        );
        INSERT INTO customers (name, email, ssn, phone) VALUES
            ('Ada Lovelace', 'ada@example.com', '536-22-8726', '+1 202 555 0101'),
            ('Alan Turing', 'alan@example.com', '212-09-4421', '+1 202 555 0102'),
            ('Grace Hopper', 'grace@example.com', '401-32-0117', '+1 202 555 0103');
        INSERT INTO accounts (customer_id, number, iban, balance) VALUES
            (1, '4111111111111111', 'GB82WEST12345698765432', 1500.00),
            (2, '5500005555555559', 'DE89370400440532013000', 250.75),
            (3, '340000000000009', 'FR1420041010050500013M02606', 98000.10);
        """;
}
