using HoopProxy.Postgres.Masking.Catalog;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Masking.Catalog;

public sealed class NodeTreeTargetOriginsTests
{
    private const uint Customers = 16384;
    private const uint Orders = 16391;
    private const uint JoinView = 16400;

    private static Dictionary<short, ColumnOrigin> Origins(params (short ResultNumber, uint Table, short Column)[] entries) =>
        entries.ToDictionary(e => e.ResultNumber, e => new ColumnOrigin(e.Table, e.Column));

    [Test]
    public void A_plain_view_names_its_table_columns()
    {
        Assert.That(NodeTreeTargetOrigins.Parse(NodeTreeSamples.PlainView),
            Is.EquivalentTo(Origins((1, Customers, 1), (2, Customers, 3))));
    }

    [Test]
    public void A_join_with_aliases_names_the_column_of_each_side()
    {
        Assert.That(NodeTreeTargetOrigins.Parse(NodeTreeSamples.JoinWithAliases),
            Is.EquivalentTo(Origins((1, Customers, 1), (2, Customers, 3), (3, Orders, 3))));
    }

    [Test]
    public void Expression_and_constant_columns_have_no_origin()
    {
        var origins = NodeTreeTargetOrigins.Parse(NodeTreeSamples.ExpressionColumns);

        Assert.That(origins, Is.EquivalentTo(Origins((1, Customers, 1), (2, 0, 0), (3, 0, 0))));
        Assert.That(origins[2].IsExpression, Is.True);
    }

    [Test]
    public void A_subquery_in_the_range_table_does_not_lend_its_target_list()
    {
        // The subquery's target list (x, y, z) comes first in the text; only the view's single column counts.
        Assert.That(NodeTreeTargetOrigins.Parse(NodeTreeSamples.OverSubquery),
            Is.EquivalentTo(Origins((1, Customers, 3))));
    }

    [Test]
    public void A_scalar_subquery_inside_a_target_entry_does_not_lend_its_fields()
    {
        // The subquery's own entry (resno 1 → orders.amount) sits inside the view's first entry.
        Assert.That(NodeTreeTargetOrigins.Parse(NodeTreeSamples.ScalarSubqueryInTargetList),
            Is.EquivalentTo(Origins((1, 0, 0), (2, Customers, 3))));
    }

    [Test]
    public void A_view_over_a_view_names_the_inner_view()
    {
        Assert.That(NodeTreeTargetOrigins.Parse(NodeTreeSamples.ViewOverView),
            Is.EquivalentTo(Origins((1, JoinView, 2), (2, JoinView, 1))));
    }

    [Test]
    public void Escaped_braces_parentheses_spaces_and_backslashes_in_names_stay_inside_their_token()
    {
        Assert.That(NodeTreeTargetOrigins.Parse(NodeTreeSamples.WeirdNames),
            Is.EquivalentTo(Origins((1, Customers, 4), (2, Customers, 4))));
    }

    [Test]
    public void A_column_named_like_a_field_is_not_read_as_that_field()
    {
        // Its :resname is the bare token ":resorigtbl"; the others are "\}" and "\\".
        Assert.That(NodeTreeTargetOrigins.Parse(NodeTreeSamples.NamesThatLookLikeFields),
            Is.EquivalentTo(Origins((1, Customers, 3), (2, Customers, 1), (3, Customers, 2))));
    }

    [Test]
    public void A_junk_entry_for_ORDER_BY_is_left_out()
    {
        Assert.That(NodeTreeTargetOrigins.Parse(NodeTreeSamples.OrderedByHiddenColumn),
            Is.EquivalentTo(Origins((1, Customers, 3), (2, Customers, 1))));
    }

    [Test]
    public void A_set_operation_column_has_no_origin()
    {
        Assert.That(NodeTreeTargetOrigins.Parse(NodeTreeSamples.UnionAll), Is.EquivalentTo(Origins((1, 0, 0))));
    }

    [Test]
    public void A_view_without_columns_has_an_empty_target_list()
    {
        Assert.That(NodeTreeTargetOrigins.Parse(NodeTreeSamples.NoColumns), Is.Empty);
    }

    [Test]
    public void A_materialized_view_is_read_like_a_view()
    {
        Assert.That(NodeTreeTargetOrigins.Parse(NodeTreeSamples.MaterializedView),
            Is.EquivalentTo(Origins((1, Customers, 1), (2, Customers, 3))));
    }

    [TestCase("", Description = "empty")]
    [TestCase("({RANGETBLENTRY :alias <>})", Description = "not a Query")]
    [TestCase("({QUERY :commandType 1 :targetList ({TARGETENTRY :resno 1 :resorigtbl 16384", Description = "cut inside an entry")]
    [TestCase("({QUERY :commandType 1 :targetList ({TARGETENTRY :resno 1 :resorigtbl 16384 :resorigcol 3 :resjunk false}", Description = "cut after an entry")]
    [TestCase("({QUERY :targetList ({TARGETENTRY :resno x :resorigtbl 1 :resorigcol 1 :resjunk false})})", Description = "resno not a number")]
    [TestCase("({QUERY :targetList ({TARGETENTRY :resorigtbl 1 :resorigcol 1 :resjunk false})})", Description = "no resno")]
    [TestCase("({QUERY :targetList ({VAR :varno 1})})", Description = "not a target entry")]
    public void Malformed_text_is_refused(string text)
    {
        Assert.Throws<FormatException>(() => NodeTreeTargetOrigins.Parse(text));
    }

    [Test]
    public void Each_token_ends_where_pg_strtok_ends_it()
    {
        var tokens = new List<string>();
        var tokenizer = new NodeTreeTokenizer("""({A :b we\{ird\}\ \(col\) <> "x\ y"}) \\ :c""");
        while (tokenizer.TryNext(out var token))
        {
            tokens.Add(token.ToString());
        }

        Assert.That(tokens, Is.EqualTo(new[] { "(", "{", "A", ":b", """we\{ird\}\ \(col\)""", "<>", "\"x\\ y\"", "}", ")", "\\\\", ":c" }));
    }
}
