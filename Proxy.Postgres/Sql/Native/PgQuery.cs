using System.Runtime.InteropServices;
using System.Text;

namespace HoopProxy.Postgres.Sql.Native;

/// <summary>What libpg_query answered: the JSON text, or a human-readable error.</summary>
internal readonly record struct NativeParseOutput(string? Json, string? Error)
{
    public bool Succeeded => Json is not null;
}

/// <summary>
/// Managed face of <see cref="PgQueryNative"/>: encodes the input, copies the JSON or the error out of native memory
/// and always frees the native result, so callers never see a pointer.
/// </summary>
internal static class PgQuery
{
    /// <summary>Runs PostgreSQL 15's raw parser over <paramref name="utf8"/> (no terminator; one is added).</summary>
    public static NativeParseOutput Parse(ReadOnlySpan<byte> utf8)
    {
        var input = Terminated(utf8);
        var result = PgQueryNative.Parse(input);
        try
        {
            return result.Error != IntPtr.Zero
                ? new NativeParseOutput(null, Describe(result.Error))
                : new NativeParseOutput(Marshal.PtrToStringUTF8(result.ParseTree) ?? "", null);
        }
        finally
        {
            PgQueryNative.FreeParseResult(result);
        }
    }

    /// <summary>Compiles a whole <c>CREATE FUNCTION … LANGUAGE plpgsql</c> statement with PL/pgSQL's own grammar.</summary>
    public static NativeParseOutput ParsePlpgsql(string createFunctionStatement)
    {
        var input = Terminated(Encoding.UTF8.GetBytes(createFunctionStatement));
        var result = PgQueryNative.ParsePlpgsql(input);
        try
        {
            return result.Error != IntPtr.Zero
                ? new NativeParseOutput(null, Describe(result.Error))
                : new NativeParseOutput(Marshal.PtrToStringUTF8(result.PlpgsqlFunctions) ?? "", null);
        }
        finally
        {
            PgQueryNative.FreePlpgsqlParseResult(result);
        }
    }

    private static byte[] Terminated(ReadOnlySpan<byte> utf8)
    {
        var bytes = new byte[utf8.Length + 1];
        utf8.CopyTo(bytes);
        return bytes;
    }

    private static string Describe(IntPtr errorPointer)
    {
        var error = Marshal.PtrToStructure<PgQueryError>(errorPointer);
        var message = Marshal.PtrToStringUTF8(error.Message) ?? "unknown parser error";
        return error.CursorPosition > 0 ? $"{message} (at character {error.CursorPosition})" : message;
    }
}
