namespace HoopProxy.Postgres.Masking.Catalog;

/// <summary>
/// Splits PostgreSQL's serialized node text (pg_node_tree, as stored in pg_rewrite.ev_action) into tokens the way
/// the server's own pg_strtok does: <c>( ) { }</c> are one-character tokens, whitespace separates, and a backslash
/// makes the next character part of the token (outToken escapes braces, parentheses, whitespace and backslashes in
/// names, so an identifier such as <c>we{ird} (col)</c> stays one token).
/// </summary>
internal ref struct NodeTreeTokenizer
{
    private readonly ReadOnlySpan<char> _text;
    private int _position;

    public NodeTreeTokenizer(ReadOnlySpan<char> text)
    {
        _text = text;
        _position = 0;
    }

    /// <summary>The next token as written (escapes kept); false at the end of the text.</summary>
    public bool TryNext(out ReadOnlySpan<char> token)
    {
        while (_position < _text.Length && IsWhitespace(_text[_position]))
        {
            _position++;
        }

        if (_position == _text.Length)
        {
            token = default;
            return false;
        }

        var start = _position;
        if (IsPunctuation(_text[_position]))
        {
            _position++;
        }
        else
        {
            while (_position < _text.Length && !IsWhitespace(_text[_position]) && !IsPunctuation(_text[_position]))
            {
                // A trailing lone backslash is kept as it is, as pg_strtok does.
                _position += _text[_position] == '\\' && _position + 1 < _text.Length ? 2 : 1;
            }
        }

        token = _text[start.._position];
        return true;
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\n' or '\t';

    private static bool IsPunctuation(char c) => c is '(' or ')' or '{' or '}';
}
