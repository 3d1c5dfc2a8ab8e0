using System.Runtime.InteropServices;

namespace HoopProxy.Postgres.Sql.Native;

/// <summary>
/// The C entry points of libpg_query 15-4.x (Debian's <c>libpg-query1504.0</c>): PostgreSQL 15's own raw parser and
/// PL/pgSQL compiler front end, built as a library. Layouts follow <c>pg_query.h</c> of the 15-latest branch; every
/// result struct is returned by value and must be handed back to its <c>free</c> function.
/// </summary>
/// <remarks>
/// <c>DllImport</c> rather than <c>LibraryImport</c>: the source-generated stubs need <c>AllowUnsafeBlocks</c> in the
/// project file, and every type crossing the boundary here is blittable (pointers, ints, a pinned byte array), so the
/// runtime's built-in marshalling does no conversion work either way. The library is named by its full soname so that
/// dlopen finds the Debian runtime package without the <c>-dev</c> symlink and without an assembly-wide import resolver
/// (an assembly can register only one, and this one is shared with other components).
/// libpg_query keeps its memory contexts per thread, so concurrent calls from different threads are safe.
/// </remarks>
internal static class PgQueryNative
{
    internal const string Library = "libpg_query.so.1504.0";

    /// <summary>Parses SQL text (NUL-terminated UTF-8) into the JSON parse tree.</summary>
    [DllImport(Library, EntryPoint = "pg_query_parse", ExactSpelling = true)]
    internal static extern PgQueryParseResult Parse(byte[] nulTerminatedUtf8);

    [DllImport(Library, EntryPoint = "pg_query_free_parse_result", ExactSpelling = true)]
    internal static extern void FreeParseResult(PgQueryParseResult result);

    /// <summary>Compiles a complete <c>CREATE FUNCTION … LANGUAGE plpgsql</c> statement into PL/pgSQL function trees (JSON).</summary>
    [DllImport(Library, EntryPoint = "pg_query_parse_plpgsql", ExactSpelling = true)]
    internal static extern PgQueryPlpgsqlParseResult ParsePlpgsql(byte[] nulTerminatedUtf8);

    [DllImport(Library, EntryPoint = "pg_query_free_plpgsql_parse_result", ExactSpelling = true)]
    internal static extern void FreePlpgsqlParseResult(PgQueryPlpgsqlParseResult result);
}

/// <summary><c>PgQueryError</c>: message, funcname, filename, lineno, cursorpos (1-based character position, 0 when none), context.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct PgQueryError
{
    public readonly IntPtr Message;
    public readonly IntPtr FuncName;
    public readonly IntPtr FileName;
    public readonly int LineNumber;
    public readonly int CursorPosition;
    public readonly IntPtr Context;
}

/// <summary><c>PgQueryParseResult</c>: parse_tree (JSON), stderr_buffer, error (NULL on success).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct PgQueryParseResult
{
    public readonly IntPtr ParseTree;
    public readonly IntPtr StderrBuffer;
    public readonly IntPtr Error;
}

/// <summary><c>PgQueryPlpgsqlParseResult</c>: plpgsql_funcs (JSON array), error (NULL on success).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct PgQueryPlpgsqlParseResult
{
    public readonly IntPtr PlpgsqlFunctions;
    public readonly IntPtr Error;
}
