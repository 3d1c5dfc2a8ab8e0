using HoopProxy.Postgres.Sql;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Sql;

/// <summary>Statement by statement: tags, classes, effective commands, relations, functions, flags, text slices and errors.</summary>
public sealed class SqlAnalyzerTests
{
    private static readonly SqlAnalyzer Analyzer = new();

    private static StatementInfo Single(string sql)
    {
        var analysis = Analyzer.Analyze(sql);
        Assert.That(analysis.Parsed, Is.True, analysis.Error);
        Assert.That(analysis.Statements, Has.Count.EqualTo(1));
        return analysis.Statements[0];
    }

    [TestCase("SELECT 1", "SELECT", StatementClass.Read)]
    [TestCase("SELECT 1 INTO t", "SELECT INTO", StatementClass.Ddl)]
    [TestCase("INSERT INTO t VALUES (1)", "INSERT", StatementClass.Write)]
    [TestCase("UPDATE t SET a = 1", "UPDATE", StatementClass.Write)]
    [TestCase("DELETE FROM t", "DELETE", StatementClass.Write)]
    [TestCase("MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DO NOTHING", "MERGE", StatementClass.Write)]
    [TestCase("TRUNCATE t", "TRUNCATE TABLE", StatementClass.Write)]
    [TestCase("COPY t TO STDOUT", "COPY", StatementClass.Read)]
    [TestCase("COPY t FROM STDIN", "COPY", StatementClass.Write)]
    [TestCase("DO $$ BEGIN END $$", "DO", StatementClass.Function)]
    [TestCase("CALL p()", "CALL", StatementClass.Function)]
    [TestCase("GRANT SELECT ON t TO r", "GRANT", StatementClass.Role)]
    [TestCase("REVOKE SELECT ON t FROM r", "REVOKE", StatementClass.Role)]
    [TestCase("GRANT admin TO r", "GRANT ROLE", StatementClass.Role)]
    [TestCase("CREATE ROLE r LOGIN", "CREATE ROLE", StatementClass.Role)]
    [TestCase("CREATE USER u", "CREATE ROLE", StatementClass.Role)]
    [TestCase("ALTER ROLE r NOLOGIN", "ALTER ROLE", StatementClass.Role)]
    [TestCase("ALTER ROLE r SET work_mem = '1MB'", "ALTER ROLE", StatementClass.Role)]
    [TestCase("ALTER ROLE r RENAME TO s", "ALTER ROLE", StatementClass.Role)]
    [TestCase("DROP ROLE r", "DROP ROLE", StatementClass.Role)]
    [TestCase("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO r", "ALTER DEFAULT PRIVILEGES", StatementClass.Role)]
    [TestCase("DROP TABLE t", "DROP TABLE", StatementClass.Ddl)]
    [TestCase("DROP DATABASE d", "DROP DATABASE", StatementClass.Ddl)]
    [TestCase("DROP MATERIALIZED VIEW v", "DROP MATERIALIZED VIEW", StatementClass.Ddl)]
    [TestCase("DROP TEXT SEARCH CONFIGURATION c", "DROP TEXT SEARCH CONFIGURATION", StatementClass.Ddl)]
    [TestCase("DROP FOREIGN DATA WRAPPER w", "DROP FOREIGN DATA WRAPPER", StatementClass.Ddl)]
    [TestCase("DROP SERVER s", "DROP SERVER", StatementClass.Ddl)]
    [TestCase("DROP STATISTICS s", "DROP STATISTICS", StatementClass.Ddl)]
    [TestCase("DROP OWNED BY r", "DROP OWNED", StatementClass.Ddl)]
    [TestCase("CREATE TABLE t (a int)", "CREATE TABLE", StatementClass.Ddl)]
    [TestCase("CREATE TABLE t AS SELECT 1", "CREATE TABLE AS", StatementClass.Ddl)]
    [TestCase("CREATE MATERIALIZED VIEW v AS SELECT 1", "CREATE MATERIALIZED VIEW", StatementClass.Ddl)]
    [TestCase("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "CREATE FUNCTION", StatementClass.Ddl)]
    [TestCase("CREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'", "CREATE PROCEDURE", StatementClass.Ddl)]
    [TestCase("ALTER FUNCTION f() STABLE", "ALTER FUNCTION", StatementClass.Ddl)]
    [TestCase("ALTER TABLE t ADD COLUMN b int", "ALTER TABLE", StatementClass.Ddl)]
    [TestCase("ALTER TABLE t RENAME COLUMN a TO b", "ALTER TABLE", StatementClass.Ddl)]
    [TestCase("ALTER INDEX i RENAME TO j", "ALTER INDEX", StatementClass.Ddl)]
    [TestCase("ALTER VIEW v OWNER TO r", "ALTER VIEW", StatementClass.Ddl)]
    [TestCase("ALTER TABLE t SET SCHEMA s", "ALTER TABLE", StatementClass.Ddl)]
    [TestCase("ALTER TYPE e ADD VALUE 'x'", "ALTER TYPE", StatementClass.Ddl)]
    [TestCase("CREATE TYPE e AS ENUM ('a')", "CREATE TYPE", StatementClass.Ddl)]
    [TestCase("CREATE AGGREGATE a (int) (sfunc = f, stype = int)", "CREATE AGGREGATE", StatementClass.Ddl)]
    [TestCase("CREATE INDEX i ON t (a)", "CREATE INDEX", StatementClass.Ddl)]
    [TestCase("CREATE VIEW v AS SELECT 1", "CREATE VIEW", StatementClass.Ddl)]
    [TestCase("CREATE SCHEMA s", "CREATE SCHEMA", StatementClass.Ddl)]
    [TestCase("CREATE EXTENSION dblink", "CREATE EXTENSION", StatementClass.Ddl)]
    [TestCase("CREATE DATABASE d", "CREATE DATABASE", StatementClass.Ddl)]
    [TestCase("ALTER DATABASE d SET work_mem = '1MB'", "ALTER DATABASE", StatementClass.Ddl)]
    [TestCase("ALTER SYSTEM SET work_mem = '1MB'", "ALTER SYSTEM", StatementClass.Ddl)]
    [TestCase("CLUSTER t USING i", "CLUSTER", StatementClass.Ddl)]
    [TestCase("REFRESH MATERIALIZED VIEW v", "REFRESH MATERIALIZED VIEW", StatementClass.Ddl)]
    [TestCase("COMMENT ON TABLE t IS 'x'", "COMMENT", StatementClass.Ddl)]
    [TestCase("CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p", "CREATE SUBSCRIPTION", StatementClass.Ddl)]
    [TestCase("IMPORT FOREIGN SCHEMA r FROM SERVER s INTO l", "IMPORT FOREIGN SCHEMA", StatementClass.Ddl)]
    [TestCase("EXPLAIN SELECT 1", "EXPLAIN", StatementClass.Misc)]
    [TestCase("EXPLAIN ANALYZE DELETE FROM t", "EXPLAIN", StatementClass.Write)]
    [TestCase("PREPARE p AS SELECT 1", "PREPARE", StatementClass.Read)]
    [TestCase("PREPARE p AS DELETE FROM t", "PREPARE", StatementClass.Write)]
    [TestCase("EXECUTE p", "EXECUTE", StatementClass.Misc)]
    [TestCase("DEALLOCATE p", "DEALLOCATE", StatementClass.Misc)]
    [TestCase("DEALLOCATE ALL", "DEALLOCATE ALL", StatementClass.Misc)]
    [TestCase("DECLARE c CURSOR FOR SELECT 1", "DECLARE CURSOR", StatementClass.Read)]
    [TestCase("FETCH c", "FETCH", StatementClass.Misc)]
    [TestCase("MOVE c", "MOVE", StatementClass.Misc)]
    [TestCase("CLOSE c", "CLOSE CURSOR", StatementClass.Misc)]
    [TestCase("CLOSE ALL", "CLOSE CURSOR ALL", StatementClass.Misc)]
    [TestCase("BEGIN", "BEGIN", StatementClass.Misc)]
    [TestCase("START TRANSACTION", "START TRANSACTION", StatementClass.Misc)]
    [TestCase("COMMIT", "COMMIT", StatementClass.Misc)]
    [TestCase("ROLLBACK TO SAVEPOINT s", "ROLLBACK", StatementClass.Misc)]
    [TestCase("PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION", StatementClass.Misc)]
    [TestCase("COMMIT PREPARED 'x'", "COMMIT PREPARED", StatementClass.Misc)]
    [TestCase("SET a = 1", "SET", StatementClass.Misc)]
    [TestCase("RESET a", "RESET", StatementClass.Misc)]
    [TestCase("SHOW a", "SHOW", StatementClass.Misc)]
    [TestCase("DISCARD ALL", "DISCARD ALL", StatementClass.Misc)]
    [TestCase("DISCARD TEMP", "DISCARD TEMP", StatementClass.Misc)]
    [TestCase("VACUUM t", "VACUUM", StatementClass.Misc)]
    [TestCase("ANALYZE t", "ANALYZE", StatementClass.Misc)]
    [TestCase("CHECKPOINT", "CHECKPOINT", StatementClass.Misc)]
    [TestCase("LOCK TABLE t", "LOCK TABLE", StatementClass.Misc)]
    [TestCase("REINDEX TABLE t", "REINDEX", StatementClass.Misc)]
    [TestCase("LISTEN c", "LISTEN", StatementClass.Misc)]
    [TestCase("LOAD 'x'", "LOAD", StatementClass.Misc)]
    [TestCase("SET CONSTRAINTS ALL DEFERRED", "SET CONSTRAINTS", StatementClass.Misc)]
    public void TagAndClassFollowPostgresAndPgaudit(string sql, string tag, StatementClass statementClass)
    {
        var statement = Single(sql);
        Assert.That(statement.CommandTag, Is.EqualTo(tag));
        Assert.That(statement.Class, Is.EqualTo(statementClass));
        Assert.That(statement.EffectiveCommands[0], Is.EqualTo(tag));
        Assert.That(statement.EffectiveClasses[0], Is.EqualTo(statementClass));
        Assert.That(statement.Unrecognised, Is.False);
    }

    [Test]
    public void EveryStatementNodeOfThePostgres15GrammarIsMapped()
    {
        // The *Stmt messages of libpg_query 15-latest protobuf/pg_query.proto (Node oneof), except RawStmt (a wrapper)
        // and ReturnStmt (an expression holder inside BEGIN ATOMIC bodies); ReplicaIdentityStmt is an ALTER TABLE part.
        string[] grammar =
        [
            "InsertStmt", "DeleteStmt", "UpdateStmt", "MergeStmt", "SelectStmt", "PLAssignStmt", "AlterTableStmt",
            "AlterDomainStmt", "SetOperationStmt", "GrantStmt", "GrantRoleStmt", "AlterDefaultPrivilegesStmt", "ClosePortalStmt",
            "ClusterStmt", "CopyStmt", "CreateStmt", "DefineStmt", "DropStmt", "TruncateStmt", "CommentStmt", "FetchStmt",
            "IndexStmt", "CreateFunctionStmt", "AlterFunctionStmt", "DoStmt", "RenameStmt", "RuleStmt", "NotifyStmt",
            "ListenStmt", "UnlistenStmt", "TransactionStmt", "ViewStmt", "LoadStmt", "CreateDomainStmt", "CreatedbStmt",
            "DropdbStmt", "VacuumStmt", "ExplainStmt", "CreateTableAsStmt", "CreateSeqStmt", "AlterSeqStmt", "VariableSetStmt",
            "VariableShowStmt", "DiscardStmt", "CreateTrigStmt", "CreatePLangStmt", "CreateRoleStmt", "AlterRoleStmt",
            "DropRoleStmt", "LockStmt", "ConstraintsSetStmt", "ReindexStmt", "CheckPointStmt", "CreateSchemaStmt",
            "AlterDatabaseStmt", "AlterDatabaseRefreshCollStmt", "AlterDatabaseSetStmt", "AlterRoleSetStmt",
            "CreateConversionStmt", "CreateCastStmt", "CreateOpClassStmt", "CreateOpFamilyStmt", "AlterOpFamilyStmt",
            "PrepareStmt", "ExecuteStmt", "DeallocateStmt", "DeclareCursorStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt",
            "AlterObjectDependsStmt", "AlterObjectSchemaStmt", "AlterOwnerStmt", "AlterOperatorStmt", "AlterTypeStmt",
            "DropOwnedStmt", "ReassignOwnedStmt", "CompositeTypeStmt", "CreateEnumStmt", "CreateRangeStmt", "AlterEnumStmt",
            "AlterTSDictionaryStmt", "AlterTSConfigurationStmt", "CreateFdwStmt", "AlterFdwStmt", "CreateForeignServerStmt",
            "AlterForeignServerStmt", "CreateUserMappingStmt", "AlterUserMappingStmt", "DropUserMappingStmt",
            "AlterTableSpaceOptionsStmt", "AlterTableMoveAllStmt", "SecLabelStmt", "CreateForeignTableStmt",
            "ImportForeignSchemaStmt", "CreateExtensionStmt", "AlterExtensionStmt", "AlterExtensionContentsStmt",
            "CreateEventTrigStmt", "AlterEventTrigStmt", "RefreshMatViewStmt", "ReplicaIdentityStmt", "AlterSystemStmt",
            "CreatePolicyStmt", "AlterPolicyStmt", "CreateTransformStmt", "CreateAmStmt", "CreatePublicationStmt",
            "AlterPublicationStmt", "CreateSubscriptionStmt", "AlterSubscriptionStmt", "DropSubscriptionStmt",
            "CreateStatsStmt", "AlterCollationStmt", "CallStmt", "AlterStatsStmt",
        ];

        var unmapped = grammar.Where(node => !StatementCatalog.KnownNodes.Contains(node) && !StatementCatalog.IsStatementPart(node)).ToList();
        Assert.That(unmapped, Is.Empty);
        Assert.That(grammar, Has.Length.EqualTo(115));
    }

    [Test]
    public void AnUnknownStatementNodeIsMiscAndUnrecognised()
    {
        var description = StatementCatalog.Describe("FrobnicateStmt", default);
        Assert.That(description.Recognised, Is.False);
        Assert.That(description.Tag, Is.EqualTo("FrobnicateStmt"));
        Assert.That(description.Class, Is.EqualTo(StatementClass.Misc));
    }

    [Test]
    public void ReplicaIdentityInsideAlterTableIsNotAStatementOfItsOwn()
    {
        var statement = Single("ALTER TABLE t REPLICA IDENTITY FULL");
        Assert.That(statement.CommandTag, Is.EqualTo("ALTER TABLE"));
        Assert.That(statement.EffectiveCommands, Is.EqualTo(new[] { "ALTER TABLE" }));
        Assert.That(statement.Unrecognised, Is.False);
    }

    [Test]
    public void EmptyAndCommentOnlyTextsParseToNoStatements()
    {
        foreach (var sql in new[] { "", "   ", "-- nothing\n", "/* nothing /* nested */ */", ";;" })
        {
            var analysis = Analyzer.Analyze(sql);
            Assert.That(analysis.Parsed, Is.True, sql);
            Assert.That(analysis.Statements, Is.Empty, sql);
        }
    }

    [Test]
    public void EachStatementGetsItsOwnSliceOfTheText()
    {
        var analysis = Analyzer.Analyze("SELECT 'é€😀' AS x;  DELETE FROM t WHERE a = 'ü' ;\nDROP TABLE t");
        Assert.That(analysis.Statements.Select(s => s.Text), Is.EqualTo(new[]
        {
            "SELECT 'é€😀' AS x",
            "DELETE FROM t WHERE a = 'ü'",
            "DROP TABLE t",
        }));
    }

    [Test]
    public void SyntaxErrorsCarryTheMessageAndPosition()
    {
        var analysis = Analyzer.Analyze("SELECT 1; SELEC 2");
        Assert.That(analysis.Parsed, Is.False);
        Assert.That(analysis.Statements, Is.Empty);
        Assert.That(analysis.Error, Is.EqualTo("syntax error at or near \"SELEC\" (at character 11)"));
    }

    [Test]
    public void BodyErrorsSayWhereTheyAre()
    {
        var analysis = Analyzer.Analyze("DO $$ BEGIN DELETE FRM t; END $$");
        Assert.That(analysis.Parsed, Is.False);
        Assert.That(analysis.Error, Does.StartWith("DO block"));
    }

    [Test]
    public void ANulCharacterFailsClosed()
    {
        var analysis = Analyzer.Analyze("SELECT 1\0; DROP DATABASE x");
        Assert.That(analysis.Parsed, Is.False);
        Assert.That(analysis.Error, Does.Contain("NUL"));
    }

    [Test]
    public void DeepNestingFailsClosedInsteadOfCrashing()
    {
        var depth = 20_000;
        var analysis = Analyzer.Analyze("SELECT " + new string('(', depth) + "1" + new string(')', depth));
        Assert.That(analysis.Parsed, Is.False);
        Assert.That(analysis.Error, Is.Not.Null.And.Not.Empty);
    }

    [Test]
    public void ExtendedProtocolParametersParse()
    {
        var statement = Single("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2 RETURNING $3::int");
        Assert.That(statement.RelationsWritten, Is.EqualTo(new[] { "public.pgbench_accounts" }));
        Assert.That(statement.EffectiveCommands, Is.EqualTo(new[] { "UPDATE" }));
    }

    [Test]
    public void RelationsAreQualifiedAndCaseFoldedAsPostgresStoresThem()
    {
        var statement = Single("SELECT * FROM Accounts a JOIN \"Branches\" b USING (bid) JOIN S2.\"T\" ON true, other.x WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_class)");
        Assert.That(statement.RelationsRead, Is.EqualTo(new[] { "public.accounts", "public.Branches", "s2.T", "other.x", "pg_catalog.pg_class" }));
        Assert.That(statement.RelationsWritten, Is.Empty);
        Assert.That(statement.HasUnqualifiedRelations, Is.True);
        Assert.That(Single("SELECT * FROM s.a, s.b").HasUnqualifiedRelations, Is.False);
    }

    [Test]
    public void CteNamesShadowRelationsOnlyWhereTheyAreVisible()
    {
        var statement = Single("WITH a AS (SELECT * FROM b), b AS (SELECT * FROM a) SELECT * FROM a, b, c");
        // In a's body, b is the table (a non-recursive CTE sees only earlier ones); in b's body, a is the CTE.
        Assert.That(statement.RelationsRead, Is.EqualTo(new[] { "public.b", "public.c" }));
        var recursive = Single("WITH RECURSIVE a AS (SELECT 1 UNION ALL SELECT * FROM a) SELECT * FROM a");
        Assert.That(recursive.RelationsRead, Is.Empty);
    }

    [Test]
    public void ReadsAndWritesAreSeparated()
    {
        var statement = Single("INSERT INTO archive SELECT * FROM accounts a JOIN branches USING (bid) WHERE a.aid IN (SELECT aid FROM flagged) RETURNING (SELECT 1 FROM audit LIMIT 1)");
        Assert.That(statement.RelationsWritten, Is.EqualTo(new[] { "public.archive" }));
        Assert.That(statement.RelationsRead, Is.EquivalentTo(new[] { "public.accounts", "public.branches", "public.flagged", "public.audit" }));
    }

    [Test]
    public void DdlTouchesTheRelationsItIsAbout()
    {
        Assert.That(Single("CREATE INDEX i ON s.t (a)").RelationsWritten, Is.EqualTo(new[] { "s.t" }));
        Assert.That(Single("ALTER TABLE s.t ADD COLUMN b int").RelationsWritten, Is.EqualTo(new[] { "s.t" }));
        Assert.That(Single("DROP TABLE s.t, u").RelationsWritten, Is.EqualTo(new[] { "s.t", "public.u" }));
        Assert.That(Single("DROP TRIGGER tr ON s.t").RelationsWritten, Is.EqualTo(new[] { "s.t" }));
        Assert.That(Single("CREATE TRIGGER tr AFTER INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION s.f()").RelationsWritten, Is.EqualTo(new[] { "s.t" }));
        var view = Single("CREATE VIEW s.v AS SELECT * FROM s.t");
        Assert.That(view.RelationsWritten, Is.EqualTo(new[] { "s.v" }));
        Assert.That(view.RelationsRead, Is.EqualTo(new[] { "s.t" }));
        Assert.That(Single("CREATE TEMP TABLE tt (a int)").RelationsWritten, Is.EqualTo(new[] { "pg_temp.tt" }));
        Assert.That(Single("CREATE TEMP TABLE tt (a int)").HasUnqualifiedRelations, Is.False);
    }

    [Test]
    public void PlainExplainRunsNothingButExplainAnalyzeRunsItsStatement()
    {
        var plain = Single("EXPLAIN DELETE FROM t");
        Assert.That(plain.EffectiveCommands, Is.EqualTo(new[] { "EXPLAIN" }));
        Assert.That(plain.RelationsWritten, Is.Empty);
        Assert.That(plain.RelationsRead, Is.EqualTo(new[] { "public.t" }));
        var analyze = Single("EXPLAIN (ANALYZE, VERBOSE) DELETE FROM t");
        Assert.That(analyze.EffectiveCommands, Is.EqualTo(new[] { "EXPLAIN", "DELETE" }));
        Assert.That(analyze.EffectiveClasses, Is.EqualTo(new[] { StatementClass.Write }));
        Assert.That(analyze.RelationsWritten, Is.EqualTo(new[] { "public.t" }));
        Assert.That(Single("EXPLAIN (ANALYZE off) DELETE FROM t").EffectiveCommands, Is.EqualTo(new[] { "EXPLAIN" }));
    }

    [Test]
    public void MergeAndOnConflictShowTheirActions()
    {
        var merge = Single("MERGE INTO t USING s ON t.a = s.a WHEN MATCHED AND t.b THEN DELETE WHEN MATCHED THEN UPDATE SET b = 1 WHEN NOT MATCHED THEN INSERT VALUES (1)");
        Assert.That(merge.EffectiveCommands, Is.EqualTo(new[] { "MERGE", "DELETE", "UPDATE", "INSERT" }));
        Assert.That(merge.RelationsWritten, Is.EqualTo(new[] { "public.t" }));
        Assert.That(merge.RelationsRead, Is.EqualTo(new[] { "public.s" }));
        Assert.That(Single("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING").EffectiveCommands, Does.Not.Contain("UPDATE"));
        Assert.That(Single("INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 2").EffectiveCommands, Does.Contain("UPDATE"));
    }

    [Test]
    public void PrepareAndExecuteNameThePreparedStatement()
    {
        var prepare = Single("PREPARE del (int) AS DELETE FROM t WHERE a = $1");
        Assert.That(prepare.PreparedName, Is.EqualTo("del"));
        Assert.That(prepare.IsExecute, Is.False);
        Assert.That(prepare.EffectiveCommands, Is.EqualTo(new[] { "PREPARE", "DELETE" }));
        var execute = Single("EXECUTE del(1)");
        Assert.That(execute.PreparedName, Is.EqualTo("del"));
        Assert.That(execute.IsExecute, Is.True);
        Assert.That(execute.EffectiveCommands, Is.EqualTo(new[] { "EXECUTE" }));
    }

    [Test]
    public void FunctionsAreNamedAsWritten()
    {
        var statement = Single("SELECT lower(x), pg_catalog.upper(x), \"MyFunc\"(1), s.f(), count(*) OVER (ORDER BY g(y)) FROM t WHERE h(x) > 0");
        Assert.That(statement.Functions, Is.EquivalentTo(new[] { "lower", "pg_catalog.upper", "MyFunc", "s.f", "count", "g", "h" }));
    }

    [Test]
    public void SequencesNamedInNextvalAreRelations()
    {
        var statement = Single("SELECT nextval('s.seq'), currval('Other'), setval('\"Mixed\".\"Seq\"', 1)");
        Assert.That(statement.RelationsWritten, Is.EqualTo(new[] { "s.seq", "Mixed.Seq" }));
        Assert.That(statement.RelationsRead, Is.EqualTo(new[] { "public.other" }));
    }

    [Test]
    public void PlpgsqlExpressionsEverywhereAreAnalysed()
    {
        var statement = Single("""
            DO $$
            DECLARE
              n int := f_default();
              r record;
            BEGIN
              n := f_assign(n) + (SELECT count(*) FROM counted);
              IF f_cond(n) THEN
                INSERT INTO log VALUES (n);
              ELSIF n > 2 THEN
                UPDATE t SET a = 1;
              END IF;
              WHILE f_while() LOOP EXIT; END LOOP;
              FOR r IN SELECT * FROM looped LOOP PERFORM f_perform(r.a); END LOOP;
              RAISE NOTICE '%', f_raise();
              CALL p_call();
            END $$
            """);
        Assert.That(statement.Functions, Is.SupersetOf(new[] { "f_default", "f_assign", "f_cond", "f_while", "f_perform", "f_raise", "p_call" }));
        Assert.That(statement.RelationsRead, Is.SupersetOf(new[] { "public.counted", "public.looped" }));
        Assert.That(statement.RelationsWritten, Is.EquivalentTo(new[] { "public.log", "public.t" }));
        Assert.That(statement.EffectiveCommands, Is.SupersetOf(new[] { "DO", "INSERT", "UPDATE", "SELECT", "CALL" }));
        Assert.That(statement.HasDynamicSql, Is.False);
    }

    [Test]
    public void DoBodiesContainingTheWrapperDelimiterAreStillParsed()
    {
        var body = "BEGIN PERFORM '$hoop$'; DELETE FROM t; END";
        Assert.That(RoutineBodyAnalyzer.WrapDoBlock(body), Does.EndWith("$hoop1$"));
        Assert.That(RoutineBodyAnalyzer.WrapDoBlock("BEGIN END $hoop"), Does.EndWith("$hoop1$"));
        var statement = Single("DO $x$" + body + "$x$");
        Assert.That(statement.RelationsWritten, Is.EqualTo(new[] { "public.t" }));
    }

    [Test]
    public void UnicodeEscapesAndEscapeStringsAreDecodedByTheGrammar()
    {
        Assert.That(Single("SELECT * FROM U&\"d\\0061ta\"").RelationsRead, Is.EqualTo(new[] { "public.data" }));
        Assert.That(Single("SELECT nextval(E'\\x73eq')").RelationsWritten, Is.EqualTo(new[] { "public.seq" }));
        Assert.That(Single("SELECT nextval(U&'s\\0065q')").RelationsWritten, Is.EqualTo(new[] { "public.seq" }));
    }

    [Test]
    public void WatchedSettingsAreReported()
    {
        Assert.That(Single("SET standard_conforming_strings = 0").Settings,
            Is.EqualTo(new[] { new SettingChange("standard_conforming_strings", SettingChangeKind.Set, "0") }));
        Assert.That(Single("SET client_encoding TO DEFAULT").Settings,
            Is.EqualTo(new[] { new SettingChange("client_encoding", SettingChangeKind.Reset, null) }));
        Assert.That(Single("RESET ALL").Settings.Select(s => s.Name), Is.EquivalentTo(new[] { "standard_conforming_strings", "client_encoding" }));
        Assert.That(Single("SELECT set_config('client_encoding', $1, false)").Settings,
            Is.EqualTo(new[] { new SettingChange("client_encoding", SettingChangeKind.Set, null) }));
        Assert.That(Single("SET application_name = 'x'").Settings, Is.Empty);
        Assert.That(Single("ALTER ROLE me SET client_encoding = 'LATIN1'").Settings, Is.Empty, "configures future sessions, not this one");
        Assert.That(Single("CREATE FUNCTION f() RETURNS int LANGUAGE sql SET standard_conforming_strings = off AS 'SELECT 1'").Settings, Is.Empty);
    }

    [Test]
    public void CachedAnalysesAreReturnedAsIs()
    {
        var analyzer = new SqlAnalyzer();
        var first = analyzer.Analyze("SELECT * FROM t WHERE a = $1");
        Assert.That(analyzer.Analyze("SELECT * FROM t WHERE a = $1"), Is.SameAs(first));
        Assert.That(analyzer.Analyze("SELECT * FROM t WHERE a = $2"), Is.Not.SameAs(first));
    }

    [Test]
    public void TheCacheStaysBoundedAndKeepsStatementsInUse()
    {
        var analyzer = new SqlAnalyzer(cacheCapacity: 100);
        var hot = analyzer.Analyze("SELECT 'hot'");
        for (var i = 0; i < 1000; i++)
        {
            analyzer.Analyze($"SELECT {i}");
            Assert.That(analyzer.CachedCount, Is.LessThanOrEqualTo(100 + 1));
            Assert.That(analyzer.Analyze("SELECT 'hot'"), Is.SameAs(hot), $"evicted after {i}");
        }
    }

    [Test]
    public void LongTextsAreNotCached()
    {
        var analyzer = new SqlAnalyzer();
        var sql = "SELECT '" + new string('x', SqlAnalyzer.MaxCachedTextLength) + "'";
        var first = analyzer.Analyze(sql);
        Assert.That(first.Parsed, Is.True);
        Assert.That(analyzer.Analyze(sql), Is.Not.SameAs(first));
        Assert.That(analyzer.CachedCount, Is.Zero);
    }

    [Test]
    public async Task ConcurrentAnalysesAgree()
    {
        var analyzer = new SqlAnalyzer(cacheCapacity: 64);
        var texts = Enumerable.Range(0, 200).Select(i => $"DO $$ BEGIN UPDATE t{i % 7} SET a = {i}; END $$; SELECT * FROM u{i}").ToArray();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => texts.Select(analyzer.Analyze).ToArray())));
        for (var i = 0; i < texts.Length; i++)
        {
            foreach (var result in results)
            {
                Assert.That(result[i].Parsed, Is.True);
                Assert.That(result[i].Statements[0].RelationsWritten, Is.EqualTo(new[] { $"public.t{i % 7}" }));
                Assert.That(result[i].Statements[1].RelationsRead, Is.EqualTo(new[] { $"public.u{i}" }));
            }
        }
    }
}
