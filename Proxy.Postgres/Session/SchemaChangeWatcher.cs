using System.Buffers;
using HoopProxy.Postgres.Masking.Catalog;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// Clears a target's column catalog when DDL completes through any session to it — also sessions no masking rule
/// applies to (a DBA renaming a column must not leave analysts' results named by the old catalog).
/// </summary>
internal sealed class SchemaChangeWatcher(IColumnCatalog catalog)
{
    public static bool IsWatched(byte code) => code == (byte)BackendMessageCode.CommandComplete;

    public void OnServerMessage(byte code, in ReadOnlySequence<byte> body)
    {
        if (code == (byte)BackendMessageCode.CommandComplete && CommandComplete.TryParse(body, out var complete) && ChangesSchema(complete.Tag))
        {
            catalog.Invalidate();
        }
    }

    /// <summary>The statement ran: relation and column names the catalog cached may have changed.</summary>
    private static bool ChangesSchema(string tag) =>
        tag.StartsWith("CREATE", StringComparison.Ordinal) || tag.StartsWith("ALTER", StringComparison.Ordinal) || tag.StartsWith("DROP", StringComparison.Ordinal);
}
