using System.Buffers;
using BenchmarkDotNet.Attributes;
using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Benchmarks.Postgres.Protocol.Backend;

/// <summary>
/// Parsing the backend messages the proxy decodes today (Proxy.Postgres/Protocol/Backend). RowDescription
/// has no parser yet, so it is not measured. Bodies only: the relay hands observers the body after the header.
/// </summary>
[MemoryDiagnoser]
public class BackendMessageParseBenchmarks
{
    private ReadOnlySequence<byte> _readyForQuery;
    private ReadOnlySequence<byte> _errorResponse;
    private ReadOnlySequence<byte> _parameterStatus;
    private ReadOnlySequence<byte> _backendKeyData;
    private ReadOnlySequence<byte> _authenticationSasl;

    [GlobalSetup]
    public void Setup()
    {
        _readyForQuery = BodyOf(w => new ReadyForQuery(TransactionStatus.Idle).WriteTo(w));
        // What PostgreSQL 15 sends for SELECT 1/0: S, V, C, M, F, L, R fields.
        _errorResponse = BodyOf(w => new ErrorResponse(
        [
            new((byte)'S', "ERROR"),
            new((byte)'V', "ERROR"),
            new((byte)'C', "22012"),
            new((byte)'M', "division by zero"),
            new((byte)'F', "int.c"),
            new((byte)'L', "841"),
            new((byte)'R', "int4div"),
        ]).WriteTo(w));
        _parameterStatus = BodyOf(w => new ParameterStatus("server_version", "15.14 (Debian 15.14-0+deb12u1)").WriteTo(w));
        _backendKeyData = BodyOf(w => new BackendKeyData(4242, 0x1234_5678).WriteTo(w));
        _authenticationSasl = BodyOf(w => AuthenticationRequest.WriteSasl(w, ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]));
        if (!ReadyForQuery() || ErrorResponse() != "22012" || ParameterStatus() != 30 || BackendKeyData() != 4242 || AuthenticationSasl() != AuthenticationType.Sasl)
        {
            throw new InvalidOperationException("the benchmark inputs do not parse");
        }
    }

    /// <summary>Expected: 0 B (a readonly struct over one byte). The relay parses this once per query.</summary>
    [Benchmark]
    public bool ReadyForQuery() =>
        HoopProxy.Postgres.Protocol.Backend.ReadyForQuery.TryParse(_readyForQuery, out var message) && message.Status == TransactionStatus.Idle;

    /// <summary>Expected: 576 B (the List, the record and one string per field, seven fields here); errors are rare and off the row path.</summary>
    [Benchmark]
    public string? ErrorResponse() =>
        HoopProxy.Postgres.Protocol.Backend.ErrorResponse.TryParse(_errorResponse, out var message) ? message.SqlState : null;

    /// <summary>Expected: 144 B (the name and value strings); parsed only during the handshake.</summary>
    [Benchmark]
    public int ParameterStatus() =>
        HoopProxy.Postgres.Protocol.Backend.ParameterStatus.TryParse(_parameterStatus, out var message) ? message.Value.Length : -1;

    /// <summary>Expected: 0 B.</summary>
    [Benchmark]
    public int BackendKeyData() =>
        HoopProxy.Postgres.Protocol.Backend.BackendKeyData.TryParse(_backendKeyData, out var message) ? message.ProcessId : -1;

    /// <summary>Expected: 0 B (Data stays a slice of the body; the mechanism names are not decoded here).</summary>
    [Benchmark]
    public AuthenticationType AuthenticationSasl() =>
        AuthenticationRequest.TryParse(_authenticationSasl, out var message) ? message.Type : (AuthenticationType)(-1);

    private static ReadOnlySequence<byte> BodyOf(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return new ReadOnlySequence<byte>(buffer.WrittenMemory[5..].ToArray());
    }
}
