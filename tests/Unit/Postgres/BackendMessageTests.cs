using System.Buffers;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Postgres.CodecAssert;
using Be = HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Tests.Unit.Postgres;

/// <summary>Each backend message: a literal laid out as in the protocol documentation, parsed, checked field by field and written back.</summary>
public sealed class BackendMessageTests
{
    private static AuthenticationRequest Authentication(byte[] wire, AuthenticationType type)
    {
        var message = RoundTrip<AuthenticationRequest>(wire, (byte)'R', AuthenticationRequest.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Type, Is.EqualTo(type));
        RejectsTruncations<AuthenticationRequest>(wire, AuthenticationRequest.TryParse, validFrom: type is AuthenticationType.SaslContinue or AuthenticationType.SaslFinal ? 4 : null);
        return message;
    }

    [Test]
    public void AuthenticationOk()
    {
        byte[] wire = [(byte)'R', 0, 0, 0, 8, 0, 0, 0, 0];
        var message = Authentication(wire, AuthenticationType.Ok);
        Assert.That(message.Data.IsEmpty, Is.True);
        Assert.That(Written(AuthenticationRequest.WriteOk), Is.EqualTo(wire));
        RejectsTrailingByte<AuthenticationRequest>(wire, AuthenticationRequest.TryParse);
    }

    [Test]
    public void AuthenticationCleartextPassword()
    {
        byte[] wire = [(byte)'R', 0, 0, 0, 8, 0, 0, 0, 3];
        Authentication(wire, AuthenticationType.CleartextPassword);
        Assert.That(Written(AuthenticationRequest.WriteCleartextPassword), Is.EqualTo(wire));
        RejectsTrailingByte<AuthenticationRequest>(wire, AuthenticationRequest.TryParse);
    }

    [Test]
    public void AuthenticationMD5Password()
    {
        byte[] wire = [(byte)'R', 0, 0, 0, 12, 0, 0, 0, 5, 1, 2, 3, 4];
        var message = Authentication(wire, AuthenticationType.Md5Password);
        Assert.That(message.Data.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
        Assert.That(Written(o => AuthenticationRequest.WriteMd5Password(o, [1, 2, 3, 4])), Is.EqualTo(wire));
        RejectsTrailingByte<AuthenticationRequest>(wire, AuthenticationRequest.TryParse);
    }

    [Test]
    public void AuthenticationSASL()
    {
        byte[] wire = [(byte)'R', 0, 0, 0, 42, 0, 0, 0, 10, .. "SCRAM-SHA-256"u8, 0, .. "SCRAM-SHA-256-PLUS"u8, 0, 0];
        var message = Authentication(wire, AuthenticationType.Sasl);
        Assert.That(message.SaslMechanisms(), Is.EqualTo(new[] { "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS" }));
        Assert.That(Written(o => AuthenticationRequest.WriteSasl(o, ["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"])), Is.EqualTo(wire));
        RejectsTrailingByte<AuthenticationRequest>(wire, AuthenticationRequest.TryParse);
    }

    [Test]
    public void AuthenticationSASLContinue()
    {
        byte[] wire = [(byte)'R', 0, 0, 0, 31, 0, 0, 0, 11, .. "r=abc,s=c2FsdA==,i=4096"u8];
        var message = Authentication(wire, AuthenticationType.SaslContinue);
        Assert.That(Text(message.Data), Is.EqualTo("r=abc,s=c2FsdA==,i=4096"));
        Assert.That(Written(o => AuthenticationRequest.WriteSaslContinue(o, "r=abc,s=c2FsdA==,i=4096")), Is.EqualTo(wire));
    }

    [Test]
    public void AuthenticationSASLFinal()
    {
        byte[] wire = [(byte)'R', 0, 0, 0, 14, 0, 0, 0, 12, .. "v=c2ln"u8];
        var message = Authentication(wire, AuthenticationType.SaslFinal);
        Assert.That(Text(message.Data), Is.EqualTo("v=c2ln"));
        Assert.That(Written(o => AuthenticationRequest.WriteSaslFinal(o, "v=c2ln")), Is.EqualTo(wire));
    }

    [Test]
    public void BackendKeyData()
    {
        byte[] wire = [(byte)'K', 0, 0, 0, 12, 0, 0, 0x30, 0x39, 0x12, 0x34, 0x56, 0x78];
        var message = RoundTrip<BackendKeyData>(wire, (byte)'K', Be.BackendKeyData.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.ProcessId, Is.EqualTo(12345));
        Assert.That(message.SecretKey, Is.EqualTo(0x12345678));
        RejectsTruncations<BackendKeyData>(wire, Be.BackendKeyData.TryParse);
        RejectsTrailingByte<BackendKeyData>(wire, Be.BackendKeyData.TryParse);
    }

    [Test]
    public void ParameterStatus()
    {
        byte[] wire = [(byte)'S', 0, 0, 0, 25, .. "client_encoding"u8, 0, .. "UTF8"u8, 0];
        var message = RoundTrip<ParameterStatus>(wire, (byte)'S', Be.ParameterStatus.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Name, Is.EqualTo("client_encoding"));
        Assert.That(message.Value, Is.EqualTo("UTF8"));
        RejectsTruncations<ParameterStatus>(wire, Be.ParameterStatus.TryParse);
        RejectsTrailingByte<ParameterStatus>(wire, Be.ParameterStatus.TryParse);
    }

    [TestCase((byte)'I', TransactionStatus.Idle)]
    [TestCase((byte)'T', TransactionStatus.InTransaction)]
    [TestCase((byte)'E', TransactionStatus.Failed)]
    public void ReadyForQuery(byte status, TransactionStatus expected)
    {
        byte[] wire = [(byte)'Z', 0, 0, 0, 5, status];
        var message = RoundTrip<ReadyForQuery>(wire, (byte)'Z', Be.ReadyForQuery.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Status, Is.EqualTo(expected));
        RejectsTruncations<ReadyForQuery>(wire, Be.ReadyForQuery.TryParse);
        RejectsTrailingByte<ReadyForQuery>(wire, Be.ReadyForQuery.TryParse);
        Rejects<ReadyForQuery>([(byte)'X'], Be.ReadyForQuery.TryParse, "an unknown transaction status");
    }

    [Test]
    public void NegotiateProtocolVersion()
    {
        byte[] wire = [(byte)'v', 0, 0, 0, 21, 0, 0, 0, 0, 0, 0, 0, 1, .. "_pq_.foo"u8, 0];
        var message = RoundTrip<NegotiateProtocolVersion>(wire, (byte)'v', Be.NegotiateProtocolVersion.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.NewestMinorVersion, Is.Zero);
        Assert.That(message.UnrecognizedOptions, Is.EqualTo(new[] { "_pq_.foo" }));
        RejectsTruncations<NegotiateProtocolVersion>(wire, Be.NegotiateProtocolVersion.TryParse);
        RejectsTrailingByte<NegotiateProtocolVersion>(wire, Be.NegotiateProtocolVersion.TryParse);
    }

    [Test]
    public void ErrorResponse()
    {
        byte[] wire = [(byte)'E', 0, 0, 0, 33, (byte)'S', .. "ERROR"u8, 0, (byte)'C', .. "42601"u8, 0, (byte)'M', .. "syntax error"u8, 0, 0];
        var message = RoundTrip<ErrorResponse>(wire, (byte)'E', Be.ErrorResponse.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Fields, Has.Count.EqualTo(3));
        Assert.That(message.Severity, Is.EqualTo("ERROR"));
        Assert.That(message.SqlState, Is.EqualTo("42601"));
        Assert.That(message.Message, Is.EqualTo("syntax error"));
        Assert.That(message.Detail, Is.Null);
        RejectsTruncations<ErrorResponse>(wire, Be.ErrorResponse.TryParse);
        RejectsTrailingByte<ErrorResponse>(wire, Be.ErrorResponse.TryParse);
    }

    [Test]
    public void NoticeResponse()
    {
        byte[] wire = [(byte)'N', 0, 0, 0, 27, (byte)'S', .. "NOTICE"u8, 0, (byte)'C', .. "00000"u8, 0, (byte)'M', .. "hello"u8, 0, 0];
        var message = RoundTrip<NoticeResponse>(wire, (byte)'N', Be.NoticeResponse.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Severity, Is.EqualTo("NOTICE"));
        Assert.That(message.SqlState, Is.EqualTo("00000"));
        Assert.That(message.Message, Is.EqualTo("hello"));
        Assert.That(message.Fields, Has.Count.EqualTo(3));
        Assert.That(Written(o => message.Notice.WriteTo(o, BackendMessageCode.NoticeResponse)), Is.EqualTo(wire), "the shared ErrorResponse writer with 'N'");
        RejectsTruncations<NoticeResponse>(wire, Be.NoticeResponse.TryParse);
        RejectsTrailingByte<NoticeResponse>(wire, Be.NoticeResponse.TryParse);
    }

    [TestCase((byte)'2')]
    [TestCase((byte)'3')]
    [TestCase((byte)'c')]
    [TestCase((byte)'I')]
    [TestCase((byte)'n')]
    [TestCase((byte)'1')]
    [TestCase((byte)'s')]
    public void Messages_with_an_empty_body(byte code)
    {
        byte[] wire = [code, 0, 0, 0, 4];
        switch ((BackendMessageCode)code)
        {
            case BackendMessageCode.BindComplete:
                EmptyBody<BindComplete>(wire, Be.BindComplete.TryParse, (m, o) => m.WriteTo(o), Be.BindComplete.Write);
                break;
            case BackendMessageCode.CloseComplete:
                EmptyBody<CloseComplete>(wire, Be.CloseComplete.TryParse, (m, o) => m.WriteTo(o), Be.CloseComplete.Write);
                break;
            case BackendMessageCode.CopyDone:
                EmptyBody<CopyDone>(wire, Be.CopyDone.TryParse, (m, o) => m.WriteTo(o), Be.CopyDone.Write);
                break;
            case BackendMessageCode.EmptyQueryResponse:
                EmptyBody<EmptyQueryResponse>(wire, Be.EmptyQueryResponse.TryParse, (m, o) => m.WriteTo(o), Be.EmptyQueryResponse.Write);
                break;
            case BackendMessageCode.NoData:
                EmptyBody<NoData>(wire, Be.NoData.TryParse, (m, o) => m.WriteTo(o), Be.NoData.Write);
                break;
            case BackendMessageCode.ParseComplete:
                EmptyBody<ParseComplete>(wire, Be.ParseComplete.TryParse, (m, o) => m.WriteTo(o), Be.ParseComplete.Write);
                break;
            case BackendMessageCode.PortalSuspended:
                EmptyBody<PortalSuspended>(wire, Be.PortalSuspended.TryParse, (m, o) => m.WriteTo(o), Be.PortalSuspended.Write);
                break;
            default:
                Assert.Fail($"no case for '{(char)code}'");
                break;
        }
    }

    private static void EmptyBody<T>(byte[] wire, TryParser<T> parse, Action<T, IBufferWriter<byte>> write, Action<IBufferWriter<byte>> staticWrite)
    {
        RoundTrip(wire, wire[0], parse, write);
        Assert.That(Written(staticWrite), Is.EqualTo(wire));
        RejectsTrailingByte(wire, parse);
    }

    [TestCase("SELECT 3", 3L)]
    [TestCase("INSERT 0 1", 1L)]
    [TestCase("COPY 1000000", 1000000L)]
    [TestCase("CREATE TABLE", null)]
    public void CommandComplete(string tag, long? rows)
    {
        var tagBytes = System.Text.Encoding.UTF8.GetBytes(tag);
        byte[] wire = [(byte)'C', 0, 0, 0, (byte)(5 + tagBytes.Length), .. tagBytes, 0];
        var message = RoundTrip<CommandComplete>(wire, (byte)'C', Be.CommandComplete.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Tag, Is.EqualTo(tag));
        Assert.That(message.TryGetRowCount(out var count), Is.EqualTo(rows is not null));
        Assert.That(count, Is.EqualTo(rows ?? 0));
        RejectsTruncations<CommandComplete>(wire, Be.CommandComplete.TryParse);
        RejectsTrailingByte<CommandComplete>(wire, Be.CommandComplete.TryParse);
    }

    [Test]
    public void CommandComplete_literal()
    {
        byte[] wire = [(byte)'C', 0, 0, 0, 13, .. "SELECT 3"u8, 0];
        Assert.That(Written(o => Be.CommandComplete.Write(o, "SELECT 3")), Is.EqualTo(wire));
    }

    [Test]
    public void CopyData()
    {
        byte[] wire = [(byte)'d', 0, 0, 0, 10, .. "2\ttwo\n"u8];
        var message = RoundTrip<CopyData>(wire, (byte)'d', Be.CopyData.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(Text(message.Data), Is.EqualTo("2\ttwo\n"));
        Assert.That(Written(o => Be.CopyData.Write(o, "2\ttwo\n"u8)), Is.EqualTo(wire));
    }

    [Test]
    public void CopyInResponse()
    {
        byte[] wire = [(byte)'G', 0, 0, 0, 11, 0, 0, 2, 0, 0, 0, 0];
        var message = RoundTrip<CopyInResponse>(wire, (byte)'G', Be.CopyInResponse.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.OverallFormat, Is.Zero);
        Assert.That(message.ColumnFormats.ToArray(), Is.EqualTo(new short[] { 0, 0 }));
        Assert.That(Written(o => Be.CopyInResponse.Write(o, 0, [0, 0])), Is.EqualTo(wire));
        RejectsTruncations<CopyInResponse>(wire, Be.CopyInResponse.TryParse);
        RejectsTrailingByte<CopyInResponse>(wire, Be.CopyInResponse.TryParse);
    }

    [Test]
    public void CopyOutResponse()
    {
        byte[] wire = [(byte)'H', 0, 0, 0, 11, 1, 0, 2, 0, 1, 0, 1];
        var message = RoundTrip<CopyOutResponse>(wire, (byte)'H', Be.CopyOutResponse.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.OverallFormat, Is.EqualTo(1));
        Assert.That(message.ColumnFormats.Count, Is.EqualTo(2));
        Assert.That(message.ColumnFormats[0], Is.EqualTo(FormatCode.Binary));
        Assert.That(message.ColumnFormats[1], Is.EqualTo(FormatCode.Binary));
        Assert.That(Written(o => Be.CopyOutResponse.Write(o, 1, [1, 1])), Is.EqualTo(wire));
        RejectsTruncations<CopyOutResponse>(wire, Be.CopyOutResponse.TryParse);
        RejectsTrailingByte<CopyOutResponse>(wire, Be.CopyOutResponse.TryParse);
    }

    [Test]
    public void CopyBothResponse()
    {
        byte[] wire = [(byte)'W', 0, 0, 0, 7, 0, 0, 0];
        var message = RoundTrip<CopyBothResponse>(wire, (byte)'W', Be.CopyBothResponse.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.OverallFormat, Is.Zero);
        Assert.That(message.ColumnFormats.Count, Is.Zero);
        Assert.That(Written(o => Be.CopyBothResponse.Write(o, 0, [])), Is.EqualTo(wire));
        RejectsTruncations<CopyBothResponse>(wire, Be.CopyBothResponse.TryParse);
        RejectsTrailingByte<CopyBothResponse>(wire, Be.CopyBothResponse.TryParse);
    }

    [Test]
    public void DataRow()
    {
        byte[] wire =
        [
            (byte)'D', 0, 0, 0, 20,
            0, 3,
            0, 0, 0, 2, (byte)'4', (byte)'2',    // "42"
            255, 255, 255, 255,                  // NULL
            0, 0, 0, 0,                          // the empty string, which is not NULL
        ];
        var message = RoundTrip<DataRow>(wire, (byte)'D', Be.DataRow.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Columns.Count, Is.EqualTo(3));
        var columns = new List<(int Length, string Text)>();
        foreach (var column in message.Columns)
        {
            columns.Add((column.Length, column.IsNull ? "<null>" : Text(column.Data)));
        }

        Assert.That(columns, Is.EqualTo(new[] { (2, "42"), (-1, "<null>"), (0, "") }));
        Assert.That(message.Columns[2].IsNull, Is.False);
        Assert.That(Written(o => Be.DataRow.Write(o, ["42"u8.ToArray(), null, []])), Is.EqualTo(wire));
        RejectsTruncations<DataRow>(wire, Be.DataRow.TryParse);
        RejectsTrailingByte<DataRow>(wire, Be.DataRow.TryParse);
    }

    [Test]
    public void DataRow_columns_are_slices_of_the_input_even_across_segments()
    {
        byte[] body = [0, 1, 0, 0, 0, 6, .. "abcdef"u8];
        var input = Segments.SplitAt(body, 8);
        Assert.That(Be.DataRow.TryParse(input, out var row), Is.True);
        var column = row.Columns[0];
        Assert.That(column.Data.IsSingleSegment, Is.False, "a copy would have been flattened into one array");
        Assert.That(Text(column.Data), Is.EqualTo("abcdef"));
        Assert.That(column.Data.Start.GetObject(), Is.SameAs(input.Start.GetObject()));
    }

    [Test]
    public void DataRow_with_a_count_larger_than_its_columns_is_malformed()
    {
        Rejects<DataRow>([0, 2, 0, 0, 0, 1, (byte)'x'], Be.DataRow.TryParse, "two columns announced, one sent");
        Rejects<DataRow>([0, 1, 255, 255, 255, 254], Be.DataRow.TryParse, "length -2");
    }

    [Test]
    public void FunctionCallResponse()
    {
        byte[] wire = [(byte)'V', 0, 0, 0, 12, 0, 0, 0, 4, 0, 0, 0, 1];
        var message = RoundTrip<FunctionCallResponse>(wire, (byte)'V', Be.FunctionCallResponse.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Result.IsNull, Is.False);
        Assert.That(message.Result.Data.ToArray(), Is.EqualTo(new byte[] { 0, 0, 0, 1 }));
        Assert.That(Written(o => Be.FunctionCallResponse.Write(o, [0, 0, 0, 1])), Is.EqualTo(wire));
        RejectsTruncations<FunctionCallResponse>(wire, Be.FunctionCallResponse.TryParse);
        RejectsTrailingByte<FunctionCallResponse>(wire, Be.FunctionCallResponse.TryParse);
    }

    [Test]
    public void FunctionCallResponse_null()
    {
        byte[] wire = [(byte)'V', 0, 0, 0, 8, 255, 255, 255, 255];
        var message = RoundTrip<FunctionCallResponse>(wire, (byte)'V', Be.FunctionCallResponse.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Result.IsNull, Is.True);
        Assert.That(Written(o => Be.FunctionCallResponse.Write(o, null)), Is.EqualTo(wire));
        RejectsTrailingByte<FunctionCallResponse>(wire, Be.FunctionCallResponse.TryParse);
    }

    [Test]
    public void A_null_value_writes_no_bytes_even_when_built_with_some()
    {
        var message = new FunctionCallResponse(new WireValue(new ReadOnlySequence<byte>([1, 2, 3]), IsNull: true));
        Assert.That(Written(message.WriteTo), Is.EqualTo(new byte[] { (byte)'V', 0, 0, 0, 8, 255, 255, 255, 255 }));
    }

    [Test]
    public void NotificationResponse()
    {
        byte[] wire = [(byte)'A', 0, 0, 0, 19, 0, 0, 0x30, 0x39, .. "jobs"u8, 0, .. "hello"u8, 0];
        var message = RoundTrip<NotificationResponse>(wire, (byte)'A', Be.NotificationResponse.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.ProcessId, Is.EqualTo(12345));
        Assert.That(message.Channel, Is.EqualTo("jobs"));
        Assert.That(message.PayloadString(), Is.EqualTo("hello"));
        Assert.That(Written(o => Be.NotificationResponse.Write(o, 12345, "jobs", "hello")), Is.EqualTo(wire));
        RejectsTruncations<NotificationResponse>(wire, Be.NotificationResponse.TryParse);
        RejectsTrailingByte<NotificationResponse>(wire, Be.NotificationResponse.TryParse);
    }

    [Test]
    public void ParameterDescription()
    {
        byte[] wire = [(byte)'t', 0, 0, 0, 14, 0, 2, 0, 0, 0, 23, 0, 0, 0, 25];
        var message = RoundTrip<ParameterDescription>(wire, (byte)'t', Be.ParameterDescription.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.ParameterTypes.ToArray(), Is.EqualTo(new uint[] { 23, 25 }));
        Assert.That(message.ParameterTypes[1], Is.EqualTo(25u));
        Assert.That(Written(o => Be.ParameterDescription.Write(o, [23, 25])), Is.EqualTo(wire));
        RejectsTruncations<ParameterDescription>(wire, Be.ParameterDescription.TryParse);
        RejectsTrailingByte<ParameterDescription>(wire, Be.ParameterDescription.TryParse);
    }

    [Test]
    public void RowDescription()
    {
        byte[] wire =
        [
            (byte)'T', 0, 0, 0, 50,
            0, 2,
            //          table OID     attnum  type OID     size    modifier            format
            .. "id"u8, 0, 0, 0, 64, 0, 0, 1, 0, 0, 0, 23, 0, 4, 255, 255, 255, 255, 0, 0,
            .. "name"u8, 0, 0, 0, 64, 0, 0, 2, 0, 0, 0, 25, 255, 255, 255, 255, 255, 255, 0, 0,
        ];
        var message = RoundTrip<RowDescription>(wire, (byte)'T', Be.RowDescription.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Fields, Is.EqualTo(new[]
        {
            new FieldDescription("id", 16384, 1, 23, 4, -1, 0),
            new FieldDescription("name", 16384, 2, 25, -1, -1, 0),
        }));
        Assert.That(message.Fields[1].Name, Is.EqualTo("name"));
        Assert.That(message.Fields[1].TableOid, Is.EqualTo(16384u));
        Assert.That(message.Fields[1].ColumnAttributeNumber, Is.EqualTo(2));
        Assert.That(message.Fields[1].TypeOid, Is.EqualTo(25u));
        Assert.That(message.Fields[1].TypeSize, Is.EqualTo(-1));
        Assert.That(message.Fields[1].TypeModifier, Is.EqualTo(-1));
        Assert.That(message.Fields[1].FormatCode, Is.EqualTo(FormatCode.Text));
        RejectsTruncations<RowDescription>(wire, Be.RowDescription.TryParse);
        RejectsTrailingByte<RowDescription>(wire, Be.RowDescription.TryParse);
    }

    [Test]
    public void RowDescription_with_a_lying_field_count_is_refused_before_allocating()
    {
        Rejects<RowDescription>([255, 255, 0], Be.RowDescription.TryParse, "65535 fields announced in one byte");
    }
}
