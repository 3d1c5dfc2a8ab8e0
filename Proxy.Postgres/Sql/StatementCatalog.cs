using System.Text.Json;
using static HoopProxy.Postgres.Sql.StatementClass;

namespace HoopProxy.Postgres.Sql;

/// <summary>A statement node's command tag and pgaudit class.</summary>
internal readonly record struct StatementDescription(string Tag, StatementClass Class, bool Recognised = true);

/// <summary>
/// Every statement node of PostgreSQL 15's raw grammar (the *Stmt messages of libpg_query's pg_query.proto) mapped to
/// the command tag <c>CreateCommandTag</c> gives it (src/backend/tcop/utility.c, REL_15_STABLE) and to the pgaudit class
/// that follows from <c>GetCommandLogLevel</c> (pgaudit.c, REL_15_STABLE). A node missing here is
/// <see cref="StatementDescription.Recognised"/> = false: class Misc, its node name as tag, so callers fail closed.
/// </summary>
internal static class StatementCatalog
{
    private delegate StatementDescription Describer(JsonElement body);

    private static readonly Dictionary<string, Describer> Describers = Build();

    /// <summary>
    /// Nodes named *Stmt that are parts of a statement, not commands: RETURN inside a BEGIN ATOMIC body holds an
    /// expression; REPLICA IDENTITY is a subcommand of ALTER TABLE.
    /// </summary>
    public static bool IsStatementPart(string nodeName) => nodeName is "ReturnStmt" or "ReplicaIdentityStmt";

    /// <summary>True for node types that are statements (known or not): by the grammar's naming convention, *Stmt.</summary>
    public static bool IsStatementNode(string nodeName) => nodeName.EndsWith("Stmt", StringComparison.Ordinal) && !IsStatementPart(nodeName);

    public static StatementDescription Describe(string nodeName, JsonElement body)
    {
        if (!Describers.TryGetValue(nodeName, out var describe))
        {
            return new StatementDescription(nodeName, Misc, Recognised: false);
        }

        // A known node with an enum value PostgreSQL itself has no tag for ("???") is just as unclassifiable.
        var description = describe(body);
        return description.Tag == ObjectTypeTags.Unknown ? description with { Recognised = false } : description;
    }

    /// <summary>Describes a typed node <c>{"XStmt": {…}}</c>; anything else is unrecognised.</summary>
    public static StatementDescription DescribeNode(JsonElement node) =>
        JsonTree.TryGetTypedNode(node, out var type, out var body) ? Describe(type, body) : new StatementDescription("???", Misc, Recognised: false);

    /// <summary>EXPLAIN runs its statement when ANALYZE is on; like explain.c the last ANALYZE option wins, and any value not plainly false counts as on.</summary>
    public static bool ExplainAnalyzes(JsonElement explainBody)
    {
        var analyze = false;
        foreach (var option in JsonTree.Items(explainBody, "options"))
        {
            if (JsonTree.TryGetTypedNode(option, out var type, out var element) && type == "DefElem" && JsonTree.String(element, "defname") == "analyze")
            {
                analyze = JsonTree.Field(element, "arg") is not { } arg || !IsFalse(JsonTree.ConstantText(arg) ?? StringNodeValue(arg));
            }
        }

        return analyze;
    }

    private static string? StringNodeValue(JsonElement node) =>
        JsonTree.TryGetTypedNode(node, out var type, out var body) && type == "String" ? JsonTree.String(body, "sval") : null;

    private static bool IsFalse(string? value) => value?.ToLowerInvariant() is "false" or "off" or "no" or "0" or "f" or "n" or "of";

    private static Dictionary<string, Describer> Build()
    {
        var map = new Dictionary<string, Describer>(StringComparer.Ordinal);

        void Fixed(string node, string tag, StatementClass cls) => map[node] = _ => new StatementDescription(tag, cls);

        // Plannable statements.
        Fixed("InsertStmt", "INSERT", Write);
        Fixed("DeleteStmt", "DELETE", Write);
        Fixed("UpdateStmt", "UPDATE", Write);
        Fixed("MergeStmt", "MERGE", Write);
        map["SelectStmt"] = body => JsonTree.Field(body, "intoClause") is not null
            ? new StatementDescription("SELECT INTO", Ddl) // GetCommandLogLevel: SELECT INTO is DDL (it creates a table)
            : new StatementDescription("SELECT", Read);
        Fixed("PLAssignStmt", "SELECT", Read);
        map["SetOperationStmt"] = _ => new StatementDescription("SELECT", Read); // not produced by the raw parser; analysed form of UNION & co.

        // Transactions, cursors, prepared statements.
        map["TransactionStmt"] = body => new StatementDescription(JsonTree.String(body, "kind") switch
        {
            "TRANS_STMT_BEGIN" => "BEGIN",
            "TRANS_STMT_START" => "START TRANSACTION",
            "TRANS_STMT_COMMIT" => "COMMIT",
            "TRANS_STMT_ROLLBACK" or "TRANS_STMT_ROLLBACK_TO" => "ROLLBACK",
            "TRANS_STMT_SAVEPOINT" => "SAVEPOINT",
            "TRANS_STMT_RELEASE" => "RELEASE",
            "TRANS_STMT_PREPARE" => "PREPARE TRANSACTION",
            "TRANS_STMT_COMMIT_PREPARED" => "COMMIT PREPARED",
            "TRANS_STMT_ROLLBACK_PREPARED" => "ROLLBACK PREPARED",
            _ => ObjectTypeTags.Unknown,
        }, Misc);
        Fixed("DeclareCursorStmt", "DECLARE CURSOR", Read);
        map["ClosePortalStmt"] = body => new StatementDescription(JsonTree.String(body, "portalname") is null ? "CLOSE CURSOR ALL" : "CLOSE CURSOR", Misc);
        map["FetchStmt"] = body => new StatementDescription(JsonTree.Bool(body, "ismove") ? "MOVE" : "FETCH", Misc);
        map["PrepareStmt"] = body =>
        {
            // pgaudit looks through PREPARE to the statement (GetCommandLogLevel): mod → WRITE, ddl → DDL, all → READ.
            var inner = JsonTree.Field(body, "query") is { } query ? DescribeNode(query).Class : Read;
            return new StatementDescription("PREPARE", inner is Write or Ddl ? inner : Read);
        };
        Fixed("ExecuteStmt", "EXECUTE", Misc);
        map["DeallocateStmt"] = body => new StatementDescription(JsonTree.String(body, "name") is null ? "DEALLOCATE ALL" : "DEALLOCATE", Misc);

        // Utility statements logged at level "all": pgaudit MISC, except DO (FUNCTION) and COPY TO (READ).
        map["CopyStmt"] = body => new StatementDescription("COPY", JsonTree.Bool(body, "is_from") ? Write : Read);
        Fixed("DoStmt", "DO", Function);
        Fixed("CallStmt", "CALL", Function); // pgaudit logs the procedure's execution as FUNCTION; its CALL statement itself as MISC
        Fixed("NotifyStmt", "NOTIFY", Misc);
        Fixed("ListenStmt", "LISTEN", Misc);
        Fixed("UnlistenStmt", "UNLISTEN", Misc);
        Fixed("LoadStmt", "LOAD", Misc);
        map["VacuumStmt"] = body => new StatementDescription(JsonTree.Bool(body, "is_vacuumcmd") ? "VACUUM" : "ANALYZE", Misc);
        map["ExplainStmt"] = body => new StatementDescription("EXPLAIN",
            ExplainAnalyzes(body) && JsonTree.Field(body, "query") is { } query ? DescribeNode(query).Class : Misc);
        map["VariableSetStmt"] = body => new StatementDescription(JsonTree.String(body, "kind") switch
        {
            "VAR_SET_VALUE" or "VAR_SET_CURRENT" or "VAR_SET_DEFAULT" or "VAR_SET_MULTI" => "SET",
            "VAR_RESET" or "VAR_RESET_ALL" => "RESET",
            _ => ObjectTypeTags.Unknown,
        }, Misc);
        Fixed("VariableShowStmt", "SHOW", Misc);
        map["DiscardStmt"] = body => new StatementDescription(JsonTree.String(body, "target") switch
        {
            "DISCARD_ALL" => "DISCARD ALL",
            "DISCARD_PLANS" => "DISCARD PLANS",
            "DISCARD_TEMP" => "DISCARD TEMP",
            "DISCARD_SEQUENCES" => "DISCARD SEQUENCES",
            _ => ObjectTypeTags.Unknown,
        }, Misc);
        Fixed("LockStmt", "LOCK TABLE", Misc);
        Fixed("ConstraintsSetStmt", "SET CONSTRAINTS", Misc);
        Fixed("CheckPointStmt", "CHECKPOINT", Misc);
        Fixed("ReindexStmt", "REINDEX", Misc);

        // Level "mod" utility.
        Fixed("TruncateStmt", "TRUNCATE TABLE", Write);

        // Roles and privileges: pgaudit ROLE.
        Fixed("CreateRoleStmt", "CREATE ROLE", Role);
        Fixed("AlterRoleStmt", "ALTER ROLE", Role);
        Fixed("AlterRoleSetStmt", "ALTER ROLE", Role);
        Fixed("DropRoleStmt", "DROP ROLE", Role);
        map["GrantStmt"] = body => new StatementDescription(JsonTree.Bool(body, "is_grant") ? "GRANT" : "REVOKE", Role);
        map["GrantRoleStmt"] = body => new StatementDescription(JsonTree.Bool(body, "is_grant") ? "GRANT ROLE" : "REVOKE ROLE", Role);
        Fixed("AlterDefaultPrivilegesStmt", "ALTER DEFAULT PRIVILEGES", Role);

        // Generic DDL whose tag depends on the object type.
        map["DropStmt"] = body => new StatementDescription(ObjectTypeTags.Drop(JsonTree.String(body, "removeType")), Ddl);
        map["RenameStmt"] = body =>
        {
            var renamed = JsonTree.String(body, "renameType");
            var tag = ObjectTypeTags.Alter(renamed == "OBJECT_COLUMN" ? JsonTree.String(body, "relationType") : renamed);
            return new StatementDescription(tag, tag == "ALTER ROLE" ? Role : Ddl);
        };
        map["AlterObjectDependsStmt"] = body => new StatementDescription(ObjectTypeTags.Alter(JsonTree.String(body, "objectType")), Ddl);
        map["AlterObjectSchemaStmt"] = body => new StatementDescription(ObjectTypeTags.Alter(JsonTree.String(body, "objectType")), Ddl);
        map["AlterOwnerStmt"] = body => new StatementDescription(ObjectTypeTags.Alter(JsonTree.String(body, "objectType")), Ddl);
        map["AlterTableMoveAllStmt"] = body => new StatementDescription(ObjectTypeTags.Alter(JsonTree.String(body, "objtype")), Ddl);
        map["AlterTableStmt"] = body => new StatementDescription(ObjectTypeTags.Alter(JsonTree.String(body, "objtype")), Ddl);
        map["AlterFunctionStmt"] = body => new StatementDescription(JsonTree.String(body, "objtype") switch
        {
            "OBJECT_FUNCTION" => "ALTER FUNCTION",
            "OBJECT_PROCEDURE" => "ALTER PROCEDURE",
            "OBJECT_ROUTINE" => "ALTER ROUTINE",
            _ => ObjectTypeTags.Unknown,
        }, Ddl);
        map["DefineStmt"] = body => new StatementDescription(JsonTree.String(body, "kind") switch
        {
            "OBJECT_AGGREGATE" => "CREATE AGGREGATE",
            "OBJECT_OPERATOR" => "CREATE OPERATOR",
            "OBJECT_TYPE" => "CREATE TYPE",
            "OBJECT_TSPARSER" => "CREATE TEXT SEARCH PARSER",
            "OBJECT_TSDICTIONARY" => "CREATE TEXT SEARCH DICTIONARY",
            "OBJECT_TSTEMPLATE" => "CREATE TEXT SEARCH TEMPLATE",
            "OBJECT_TSCONFIGURATION" => "CREATE TEXT SEARCH CONFIGURATION",
            "OBJECT_COLLATION" => "CREATE COLLATION",
            "OBJECT_ACCESS_METHOD" => "CREATE ACCESS METHOD",
            _ => ObjectTypeTags.Unknown,
        }, Ddl);
        map["CreateFunctionStmt"] = body => new StatementDescription(JsonTree.Bool(body, "is_procedure") ? "CREATE PROCEDURE" : "CREATE FUNCTION", Ddl);
        map["CreateTableAsStmt"] = body => new StatementDescription(JsonTree.String(body, "objtype") switch
        {
            "OBJECT_TABLE" => JsonTree.Bool(body, "is_select_into") ? "SELECT INTO" : "CREATE TABLE AS",
            "OBJECT_MATVIEW" => "CREATE MATERIALIZED VIEW",
            _ => ObjectTypeTags.Unknown,
        }, Ddl);

        // DDL with a fixed tag (GetCommandLogLevel: LOGSTMT_DDL → pgaudit DDL).
        foreach (var (node, tag) in new (string, string)[]
        {
            ("CreateDomainStmt", "CREATE DOMAIN"), ("CreateSchemaStmt", "CREATE SCHEMA"), ("CreateStmt", "CREATE TABLE"),
            ("CreateTableSpaceStmt", "CREATE TABLESPACE"), ("DropTableSpaceStmt", "DROP TABLESPACE"),
            ("AlterTableSpaceOptionsStmt", "ALTER TABLESPACE"), ("CreateExtensionStmt", "CREATE EXTENSION"),
            ("AlterExtensionStmt", "ALTER EXTENSION"), ("AlterExtensionContentsStmt", "ALTER EXTENSION"),
            ("CreateFdwStmt", "CREATE FOREIGN DATA WRAPPER"), ("AlterFdwStmt", "ALTER FOREIGN DATA WRAPPER"),
            ("CreateForeignServerStmt", "CREATE SERVER"), ("AlterForeignServerStmt", "ALTER SERVER"),
            ("CreateUserMappingStmt", "CREATE USER MAPPING"), ("AlterUserMappingStmt", "ALTER USER MAPPING"),
            ("DropUserMappingStmt", "DROP USER MAPPING"), ("CreateForeignTableStmt", "CREATE FOREIGN TABLE"),
            ("ImportForeignSchemaStmt", "IMPORT FOREIGN SCHEMA"), ("CommentStmt", "COMMENT"), ("SecLabelStmt", "SECURITY LABEL"),
            ("AlterDomainStmt", "ALTER DOMAIN"), ("CompositeTypeStmt", "CREATE TYPE"), ("CreateEnumStmt", "CREATE TYPE"),
            ("CreateRangeStmt", "CREATE TYPE"), ("AlterEnumStmt", "ALTER TYPE"), ("ViewStmt", "CREATE VIEW"),
            ("IndexStmt", "CREATE INDEX"), ("RuleStmt", "CREATE RULE"), ("CreateSeqStmt", "CREATE SEQUENCE"),
            ("AlterSeqStmt", "ALTER SEQUENCE"), ("CreatedbStmt", "CREATE DATABASE"), ("AlterDatabaseStmt", "ALTER DATABASE"),
            ("AlterDatabaseRefreshCollStmt", "ALTER DATABASE"), ("AlterDatabaseSetStmt", "ALTER DATABASE"),
            ("DropdbStmt", "DROP DATABASE"), ("ClusterStmt", "CLUSTER"), ("RefreshMatViewStmt", "REFRESH MATERIALIZED VIEW"),
            ("AlterSystemStmt", "ALTER SYSTEM"), ("CreateTransformStmt", "CREATE TRANSFORM"), ("CreateTrigStmt", "CREATE TRIGGER"),
            ("CreateEventTrigStmt", "CREATE EVENT TRIGGER"), ("AlterEventTrigStmt", "ALTER EVENT TRIGGER"),
            ("CreatePLangStmt", "CREATE LANGUAGE"), ("DropOwnedStmt", "DROP OWNED"), ("ReassignOwnedStmt", "REASSIGN OWNED"),
            ("CreateConversionStmt", "CREATE CONVERSION"), ("CreateCastStmt", "CREATE CAST"),
            ("CreateOpClassStmt", "CREATE OPERATOR CLASS"), ("CreateOpFamilyStmt", "CREATE OPERATOR FAMILY"),
            ("AlterOpFamilyStmt", "ALTER OPERATOR FAMILY"), ("AlterOperatorStmt", "ALTER OPERATOR"), ("AlterTypeStmt", "ALTER TYPE"),
            ("AlterTSDictionaryStmt", "ALTER TEXT SEARCH DICTIONARY"), ("AlterTSConfigurationStmt", "ALTER TEXT SEARCH CONFIGURATION"),
            ("CreatePolicyStmt", "CREATE POLICY"), ("AlterPolicyStmt", "ALTER POLICY"), ("CreateAmStmt", "CREATE ACCESS METHOD"),
            ("CreatePublicationStmt", "CREATE PUBLICATION"), ("AlterPublicationStmt", "ALTER PUBLICATION"),
            ("CreateSubscriptionStmt", "CREATE SUBSCRIPTION"), ("AlterSubscriptionStmt", "ALTER SUBSCRIPTION"),
            ("DropSubscriptionStmt", "DROP SUBSCRIPTION"), ("CreateStatsStmt", "CREATE STATISTICS"),
            ("AlterStatsStmt", "ALTER STATISTICS"), ("AlterCollationStmt", "ALTER COLLATION"),
        })
        {
            Fixed(node, tag, Ddl);
        }

        return map;
    }

    /// <summary>The statement node names this catalog knows (for the completeness test).</summary>
    public static IReadOnlyCollection<string> KnownNodes => Describers.Keys;
}
