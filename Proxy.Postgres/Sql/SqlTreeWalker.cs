using System.Runtime.CompilerServices;
using System.Text.Json;

namespace HoopProxy.Postgres.Sql;

/// <summary>
/// Walks one statement of libpg_query's raw parse tree (JSON) and records into <see cref="StatementFacts"/> every
/// statement node it meets (with its tag and class), the relations read and written, the functions called, and the
/// flags. Everything not special-cased is walked generically, so a relation or function call anywhere in an
/// expression, subquery, CTE, JOIN, RETURNING or USING clause is seen without a rule for each place.
/// </summary>
internal sealed class SqlTreeWalker
{
    /// <summary>"Owner.field" pairs whose RangeVars are changed by the statement rather than read.</summary>
    private static readonly HashSet<string> WriteFields = new(StringComparer.Ordinal)
    {
        "InsertStmt.relation", "UpdateStmt.relation", "DeleteStmt.relation", "MergeStmt.relation", "TruncateStmt.relations",
        "LockStmt.relations", "AlterTableStmt.relation", "RenameStmt.relation", "AlterObjectSchemaStmt.relation",
        "AlterOwnerStmt.relation", "AlterObjectDependsStmt.relation", "IndexStmt.relation", "CreateTrigStmt.relation",
        "RuleStmt.relation", "CreatePolicyStmt.table", "AlterPolicyStmt.table", "CreateStmt.relation",
        "CreateForeignTableStmt.relation", "ViewStmt.view", "CreateTableAsStmt.rel", "SelectStmt.rel", "CreateSeqStmt.sequence",
        "AlterSeqStmt.sequence", "RefreshMatViewStmt.relation", "ClusterStmt.relation", "ReindexStmt.relation",
        "VacuumRelation.relation", "GrantStmt.objects", "CompositeTypeStmt.typevar", "PartitionCmd.name", "SecLabelStmt.object",
    };

    private readonly StatementFacts _facts;
    private readonly SqlTextAnalyzer _analyzer;
    private readonly int _depth;
    private readonly string _statementText;
    private readonly List<IReadOnlyCollection<string>> _cteScopes = [];

    /// <summary>False while walking the statement of a plain EXPLAIN: it is planned, not run.</summary>
    private bool _executes = true;

    public SqlTreeWalker(StatementFacts facts, SqlTextAnalyzer analyzer, int depth, string statementText)
    {
        _facts = facts;
        _analyzer = analyzer;
        _depth = depth;
        _statementText = statementText;
    }

    /// <summary>Walks a top-level statement node and returns its own description.</summary>
    public StatementDescription WalkStatement(JsonElement statementNode, bool recordOwnCommand = true)
    {
        if (!JsonTree.TryGetTypedNode(statementNode, out var type, out var body))
        {
            _facts.Unrecognised = true;
            return new StatementDescription("???", StatementClass.Misc, Recognised: false);
        }

        return VisitStatement(type, body, recordOwnCommand);
    }

    private void Walk(JsonElement element, string owner, bool writeTarget)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, owner, writeTarget);
                }

                break;
            case JsonValueKind.Object when JsonTree.TryGetTypedNode(element, out var type, out var body):
                VisitNode(type, body, writeTarget);
                break;
            case JsonValueKind.Object when JsonTree.IsInlineRangeVar(element):
                RecordRangeVar(element, writeTarget);
                break;
            case JsonValueKind.Object:
                // A fixed-type field written inline (IntoClause, OnConflictClause, WithClause, …): same owner.
                WalkFields(owner, element);
                break;
        }
    }

    private void VisitNode(string type, JsonElement body, bool writeTarget)
    {
        // Adversarial nesting must end as "not parsed", never as a crashed process.
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (type)
        {
            case "RangeVar":
                RecordRangeVar(body, writeTarget);
                return;
            case "FuncCall":
                VisitFunctionCall(body);
                return;
        }

        if (StatementCatalog.IsStatementNode(type))
        {
            VisitStatement(type, body, recordOwnCommand: true);
        }
        else
        {
            WalkFields(type, body);
        }
    }

    private StatementDescription VisitStatement(string type, JsonElement body, bool recordOwnCommand)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        var description = StatementCatalog.Describe(type, body);
        if (!description.Recognised)
        {
            _facts.Unrecognised = true;
        }

        if (_executes && recordOwnCommand)
        {
            _facts.AddCommand(description.Tag, description.Class);
        }

        switch (type)
        {
            case "ExplainStmt":
                VisitExplain(body);
                break;
            case "CopyStmt":
                VisitCopy(body);
                break;
            case "PrepareStmt":
                _facts.PreparedName ??= JsonTree.String(body, "name");
                WalkFields(type, body);
                break;
            case "ExecuteStmt":
                _facts.IsExecute = true;
                _facts.PreparedName ??= JsonTree.String(body, "name");
                WalkFields(type, body);
                break;
            case "DoStmt":
                new RoutineBodyAnalyzer(_analyzer, _facts, _depth).AnalyzeDo(body);
                break;
            case "CreateFunctionStmt":
                // Parameter defaults and a BEGIN ATOMIC body are parse trees already; the SET and other options are not statements.
                WalkOnly(type, body, "parameters", "sql_body");
                new RoutineBodyAnalyzer(_analyzer, _facts, _depth).AnalyzeCreateFunction(body, _statementText);
                break;
            case "AlterFunctionStmt" or "AlterRoleSetStmt" or "AlterDatabaseSetStmt" or "AlterSystemStmt":
                // Their SET clauses configure other sessions or calls, not this session; nothing else in them runs.
                break;
            case "VariableSetStmt":
                RecordVariableSet(body);
                break;
            case "MergeStmt":
                RecordMergeActions(body);
                WalkFields(type, body);
                break;
            case "InsertStmt":
                if (JsonTree.Field(body, "onConflictClause") is { } onConflict && JsonTree.String(onConflict, "action") == "ONCONFLICT_UPDATE" && _executes)
                {
                    _facts.AddCommand("UPDATE", StatementClass.Write);
                }

                WalkFields(type, body);
                break;
            case "UpdateStmt":
                // pg_settings has an update rule that calls set_config: UPDATE pg_settings SET setting = … is a SET.
                if (JsonTree.Field(body, "relation") is { } target && JsonTree.String(target, "relname") == "pg_settings" && _executes)
                {
                    _facts.AddSetting(new SettingChange(null, SettingChangeKind.Set, null));
                }

                WalkFields(type, body);
                break;
            case "DropStmt":
                RecordDroppedRelations(body);
                break;
            case "CallStmt":
                // CallStmt.funccall is an inline FuncCall (no type wrapper), so the generic walk would not see the call.
                if (JsonTree.Field(body, "funccall") is { ValueKind: JsonValueKind.Object } call)
                {
                    VisitFunctionCall(call);
                }

                break;
            case "CreateTrigStmt" or "CreateEventTrigStmt":
                if (JsonTree.Field(body, "funcname") is { } function && JsonTree.NameList(function) is { } parts)
                {
                    // The trigger function runs on every matching event from now on.
                    _facts.AddFunction(string.Join('.', parts));
                }

                WalkFields(type, body);
                break;
            default:
                WalkFields(type, body);
                break;
        }

        return description;
    }

    private void WalkFields(string owner, JsonElement body)
    {
        if (JsonTree.Field(body, "withClause") is { ValueKind: JsonValueKind.Object } withClause)
        {
            WalkWithScopes(owner, body, withClause);
            return;
        }

        foreach (var property in body.EnumerateObject())
        {
            Walk(property.Value, owner, WriteFields.Contains(owner + "." + property.Name));
        }
    }

    private void WalkOnly(string owner, JsonElement body, params string[] fields)
    {
        foreach (var field in fields)
        {
            if (JsonTree.Field(body, field) is { } value)
            {
                Walk(value, owner, writeTarget: false);
            }
        }
    }

    /// <summary>
    /// CTE names hide relations of the same unqualified name. As in PostgreSQL, a non-recursive CTE sees only the CTEs
    /// before it, a recursive WITH makes all of them visible everywhere, and the statement body sees all.
    /// </summary>
    private void WalkWithScopes(string owner, JsonElement body, JsonElement withClause)
    {
        var ctes = JsonTree.Items(withClause, "ctes")
            .Select(node => JsonTree.TryGetTypedNode(node, out _, out var cte) ? cte : default)
            .Where(cte => cte.ValueKind == JsonValueKind.Object)
            .ToList();
        var names = ctes.Select(cte => JsonTree.String(cte, "ctename") ?? "").ToList();
        var recursive = JsonTree.Bool(withClause, "recursive");
        for (var i = 0; i < ctes.Count; i++)
        {
            _cteScopes.Add(recursive ? names : names.Take(i).ToList());
            WalkFields("CommonTableExpr", ctes[i]);
            _cteScopes.RemoveAt(_cteScopes.Count - 1);
        }

        _cteScopes.Add(names);
        foreach (var property in body.EnumerateObject())
        {
            if (property.Name != "withClause")
            {
                Walk(property.Value, owner, WriteFields.Contains(owner + "." + property.Name));
            }
        }

        _cteScopes.RemoveAt(_cteScopes.Count - 1);
    }

    private void RecordRangeVar(JsonElement rangeVar, bool written)
    {
        var name = RelationNames.FromRangeVar(rangeVar, out var unqualified);
        if (!written && unqualified && IsCteName(JsonTree.String(rangeVar, "relname") ?? ""))
        {
            return; // a reference to a CTE of an enclosing WITH, not a relation (a CTE is never a write target)
        }

        AddRelation(name, written, unqualified);
    }

    private void AddRelation(string name, bool written, bool unqualified)
    {
        // Under plain EXPLAIN nothing is changed; the planner only opens the relations.
        _facts.AddRelation(name, written && _executes);
        if (unqualified)
        {
            _facts.HasUnqualifiedRelations = true;
        }
    }

    private bool IsCteName(string relationName)
    {
        foreach (var scope in _cteScopes)
        {
            if (scope.Contains(relationName))
            {
                return true;
            }
        }

        return false;
    }

    private void VisitFunctionCall(JsonElement call)
    {
        var parts = JsonTree.Field(call, "funcname") is { } funcname ? JsonTree.NameList(funcname) : null;
        if (parts is null)
        {
            _facts.Unrecognised = true;
            WalkFields("FuncCall", call);
            return;
        }

        // Recorded even under plain EXPLAIN: the planner evaluates immutable functions with constant arguments.
        var name = string.Join('.', parts);
        _facts.AddFunction(name);
        if (KnownFunctions.RunsSqlText(name))
        {
            _facts.HasDynamicSql = true;
        }

        if (KnownFunctions.ReachesOutside(name))
        {
            _facts.ReachesOutside = true;
        }

        var arguments = JsonTree.Items(call, "args").ToList();
        if (KnownFunctions.IsSetConfig(name) && _executes)
        {
            RecordSetConfig(arguments);
        }

        if (KnownFunctions.SequenceWrite(name) is { } writes && arguments.Count > 0
            && ConstantOrCastConstant(arguments[0]) is { } sequenceText && RelationNames.SplitQualifiedName(sequenceText) is { } sequenceParts)
        {
            AddRelation(RelationNames.FromParts(sequenceParts, out var unqualified), writes, unqualified);
        }

        WalkFields("FuncCall", call);
    }

    /// <summary>set_config(name, value, is_local): the name must be a literal to know which setting changes.</summary>
    private void RecordSetConfig(IReadOnlyList<JsonElement> arguments)
    {
        var setting = arguments.Count > 0 ? ConstantOrCastConstant(arguments[0]) : null;
        var value = arguments.Count > 1 ? ConstantOrCastConstant(arguments[1]) : null;
        if (setting is null)
        {
            _facts.AddSetting(new SettingChange(null, SettingChangeKind.Set, value));
        }
        else if (KnownFunctions.IsWatchedSetting(setting))
        {
            _facts.AddSetting(new SettingChange(setting.ToLowerInvariant(), SettingChangeKind.Set, value));
        }
    }

    /// <summary>A literal, or a literal cast to a type ('x'::regclass, 'on'::text).</summary>
    private static string? ConstantOrCastConstant(JsonElement node)
    {
        if (JsonTree.TryGetTypedNode(node, out var type, out var body) && type == "TypeCast" && JsonTree.Field(body, "arg") is { } inner)
        {
            return ConstantOrCastConstant(inner);
        }

        return JsonTree.ConstantText(node);
    }

    private void RecordVariableSet(JsonElement body)
    {
        var name = JsonTree.String(body, "name");
        switch (JsonTree.String(body, "kind"))
        {
            case "VAR_SET_VALUE" when name is not null && KnownFunctions.IsWatchedSetting(name):
                var arguments = JsonTree.Items(body, "args").ToList();
                var value = arguments.Count == 1 ? JsonTree.ConstantText(arguments[0]) : null;
                _facts.AddSetting(new SettingChange(name, SettingChangeKind.Set, value));
                break;
            case "VAR_SET_CURRENT" when name is not null && KnownFunctions.IsWatchedSetting(name):
                _facts.AddSetting(new SettingChange(name, SettingChangeKind.Set, null));
                break;
            case "VAR_SET_DEFAULT" or "VAR_RESET" when name is not null && KnownFunctions.IsWatchedSetting(name):
                _facts.AddSetting(new SettingChange(name, SettingChangeKind.Reset, null));
                break;
            case "VAR_RESET_ALL":
                foreach (var watched in KnownFunctions.Watched)
                {
                    _facts.AddSetting(new SettingChange(watched, SettingChangeKind.Reset, null));
                }

                break;
        }
    }

    private void RecordMergeActions(JsonElement body)
    {
        if (!_executes)
        {
            return;
        }

        foreach (var clause in JsonTree.Items(body, "mergeWhenClauses"))
        {
            if (JsonTree.TryGetTypedNode(clause, out _, out var when))
            {
                switch (JsonTree.String(when, "commandType"))
                {
                    case "CMD_INSERT":
                        _facts.AddCommand("INSERT", StatementClass.Write);
                        break;
                    case "CMD_UPDATE":
                        _facts.AddCommand("UPDATE", StatementClass.Write);
                        break;
                    case "CMD_DELETE":
                        _facts.AddCommand("DELETE", StatementClass.Write);
                        break;
                }
            }
        }
    }

    private void VisitExplain(JsonElement body)
    {
        var wasExecuting = _executes;
        _executes = wasExecuting && StatementCatalog.ExplainAnalyzes(body);
        WalkFields("ExplainStmt", body);
        _executes = wasExecuting;
    }

    private void VisitCopy(JsonElement body)
    {
        var from = JsonTree.Bool(body, "is_from");
        if (JsonTree.String(body, "filename") is not null)
        {
            // A server-side file, or with PROGRAM a shell command; STDIN/STDOUT have no filename.
            _facts.ReachesOutside = true;
        }

        if (JsonTree.Field(body, "relation") is { } relation)
        {
            RecordRangeVar(relation, written: from);
            if (_executes)
            {
                // For policy matching COPY is also what it amounts to: rows inserted into, or selected from, the relation.
                _facts.AddCommand(from ? "INSERT" : "SELECT", from ? StatementClass.Write : StatementClass.Read);
            }
        }

        foreach (var property in body.EnumerateObject())
        {
            if (property.Name != "relation")
            {
                Walk(property.Value, "CopyStmt", writeTarget: false);
            }
        }
    }

    private void RecordDroppedRelations(JsonElement body)
    {
        var removeType = JsonTree.String(body, "removeType");
        foreach (var item in JsonTree.Items(body, "objects"))
        {
            if (!JsonTree.TryGetTypedNode(item, out var type, out var node))
            {
                continue;
            }

            if (removeType == "OBJECT_SCHEMA" && type == "String")
            {
                // DROP SCHEMA … CASCADE removes every relation in it.
                AddRelation(RelationNames.Qualify(JsonTree.String(node, "sval") ?? "", "*"), written: true, unqualified: false);
                continue;
            }

            if (type != "List" || JsonTree.Field(node, "items") is not { } items || JsonTree.NameList(items) is not { } parts)
            {
                continue;
            }

            if (ObjectTypeTags.NamesRelation(removeType))
            {
                AddRelation(RelationNames.FromParts(parts, out var unqualified), written: true, unqualified);
            }
            else if (ObjectTypeTags.NamesObjectOnRelation(removeType) && parts.Count >= 2)
            {
                AddRelation(RelationNames.FromParts(parts.Take(parts.Count - 1).ToList(), out var unqualified), written: true, unqualified);
            }
        }
    }
}
