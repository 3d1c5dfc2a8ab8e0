using System.Globalization;
using System.Numerics;

namespace HoopProxy.Postgres.Masking.Catalog;

/// <summary>
/// Reads, from a view's stored query tree (<c>pg_rewrite.ev_action::text</c> of its <c>_RETURN</c> rule), where each
/// view column comes from: the <c>:resorigtbl</c>/<c>:resorigcol</c> the parser recorded in the outermost Query's
/// target list. Those name the relation the column was taken from, looking through subqueries of the view but not
/// through other views (a view over a view names the inner view, which is traced in turn).
/// </summary>
/// <remarks>
/// Only the outermost Query counts: its range table, quals and target expressions can hold subqueries with target
/// lists of their own, so a <c>:targetList</c> is taken only at brace depth one, and a TARGETENTRY's fields only at
/// the depth of that entry.
/// </remarks>
internal static class NodeTreeTargetOrigins
{
    /// <summary>
    /// The origin of each non-junk target entry by its result number (the view's attribute number). An entry the
    /// parser could not trace to a column (an expression, a constant, a set operation) maps to 0/0, whose
    /// <see cref="ColumnOrigin.IsExpression"/> is true.
    /// </summary>
    /// <exception cref="FormatException">The text is not a serialized Query, or its target list is cut short.</exception>
    public static IReadOnlyDictionary<short, ColumnOrigin> Parse(string nodeTree)
    {
        var tokens = new NodeTreeTokenizer(nodeTree);
        var origins = new Dictionary<short, ColumnOrigin>();
        var depth = 0;
        var expectQueryNode = true;
        while (tokens.TryNext(out var token))
        {
            if (token is "{")
            {
                depth++;
                if (depth == 1 && expectQueryNode)
                {
                    // ev_action is a list of Query nodes; a view's _RETURN rule holds exactly one.
                    if (!tokens.TryNext(out var nodeName) || nodeName is not "QUERY")
                    {
                        throw new FormatException("the view's stored rule does not start with a Query node");
                    }

                    expectQueryNode = false;
                }
            }
            else if (token is "}")
            {
                depth--;
                if (depth == 0 && !expectQueryNode)
                {
                    // The end of the outermost Query: no target list (a view always has one, but an empty list prints as <>).
                    return origins;
                }
            }
            else if (depth == 1 && token is ":targetList")
            {
                ReadTargetList(ref tokens, origins);
                return origins;
            }
        }

        throw new FormatException("the view's stored rule has no complete Query node");
    }

    /// <summary>Reads the list after <c>:targetList</c>: <c>&lt;&gt;</c> or <c>(</c> TARGETENTRY nodes <c>)</c>.</summary>
    private static void ReadTargetList(ref NodeTreeTokenizer tokens, Dictionary<short, ColumnOrigin> origins)
    {
        if (!tokens.TryNext(out var start))
        {
            throw new FormatException("the view's target list is cut short");
        }

        if (start is "<>")
        {
            return;
        }

        if (start is not "(")
        {
            throw new FormatException("the view's target list is not a list");
        }

        while (tokens.TryNext(out var token))
        {
            if (token is ")")
            {
                return;
            }

            if (token is not "{" || !tokens.TryNext(out var nodeName) || nodeName is not "TARGETENTRY")
            {
                throw new FormatException("the view's target list holds something other than TARGETENTRY nodes");
            }

            var entry = ReadTargetEntry(ref tokens);
            if (!entry.IsJunk)
            {
                origins[entry.ResultNumber] = entry.Origin;
            }
        }

        throw new FormatException("the view's target list is cut short");
    }

    /// <summary>Reads one TARGETENTRY up to its closing brace, keeping only its own fields (not those of nested nodes).</summary>
    private static TargetEntry ReadTargetEntry(ref NodeTreeTokenizer tokens)
    {
        short? resultNumber = null;
        uint table = 0;
        short column = 0;
        var junk = false;
        var depth = 0;
        while (tokens.TryNext(out var token))
        {
            switch (token)
            {
                case "{":
                    depth++;
                    break;
                case "}" when depth == 0:
                    return resultNumber is { } number
                        ? new TargetEntry(number, new ColumnOrigin(table, column), junk)
                        : throw new FormatException("a TARGETENTRY of the view has no :resno");
                case "}":
                    depth--;
                    break;
                case ":resno" when depth == 0:
                    resultNumber = ReadNumber<short>(ref tokens, "resno");
                    break;
                case ":resorigtbl" when depth == 0:
                    table = ReadNumber<uint>(ref tokens, "resorigtbl");
                    break;
                case ":resorigcol" when depth == 0:
                    column = ReadNumber<short>(ref tokens, "resorigcol");
                    break;
                case ":resname" when depth == 0:
                    // Skipped as a whole: a column may be named ":resorigtbl", which must not read as the field.
                    tokens.TryNext(out _);
                    break;
                case ":resjunk" when depth == 0:
                    junk = tokens.TryNext(out var value) && value is "true";
                    break;
            }
        }

        throw new FormatException("a TARGETENTRY of the view is cut short");
    }

    private static T ReadNumber<T>(ref NodeTreeTokenizer tokens, string field)
        where T : IBinaryInteger<T>
    {
        if (tokens.TryNext(out var value) && T.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        throw new FormatException($"the :{field} of a TARGETENTRY of the view is not a number");
    }

    private readonly record struct TargetEntry(short ResultNumber, ColumnOrigin Origin, bool IsJunk);
}
