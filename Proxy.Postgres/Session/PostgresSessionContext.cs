using System.Security.Cryptography.X509Certificates;
using HoopProxy.Core.Approvals;
using HoopProxy.Core.Recording;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Masking.Catalog;
using HoopProxy.Postgres.Masking.Rules;
using HoopProxy.Postgres.Policy;
using HoopProxy.Postgres.Sql;

namespace HoopProxy.Postgres.Session;

/// <summary>What every session of one listener shares.</summary>
internal sealed record PostgresSessionContext(
    PostgresProxyOptions Options,
    X509Certificate2? Certificate,
    ClientAuthenticator Authenticator,
    UpstreamConnector Connector,
    CancelRegistry CancelRegistry,
    RecordingStore? Recordings,
    SqlAnalyzer Analyzer,
    PolicySource? Policies,
    ApprovalBroker? Approvals,
    string ListenerName)
{
    /// <summary>The audit trail the sessions write into; null when none is kept.</summary>
    public Core.Audit.AuditLog? Audit { get; init; }

    /// <summary>The revocation list and the guardian that ends live sessions whose credential is revoked or expired.</summary>
    public Core.Identity.IdentityServices Identity { get; init; } = Core.Identity.IdentityServices.None;

    /// <summary>The masking rules; null when nothing is masked.</summary>
    public MaskingPolicy? Masking { get; init; }

    /// <summary>Names result columns for column masking rules, one catalog per target; null without column rules.</summary>
    public Func<PostgresTarget, IColumnCatalog>? Catalogs { get; init; }
}
