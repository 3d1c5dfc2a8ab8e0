using System.Buffers;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Frontend;
using Fe = HoopProxy.Postgres.Protocol.Frontend;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Postgres.CodecAssert;

namespace HoopProxy.Tests.Unit.Postgres;

/// <summary>Each frontend message: a literal laid out as in the protocol documentation, parsed, checked field by field and written back.</summary>
public sealed class FrontendMessageTests
{
    [Test]
    public void Query()
    {
        byte[] wire = [(byte)'Q', 0, 0, 0, 13, .. "SELECT 1"u8, 0];
        var message = RoundTrip<Query>(wire, (byte)'Q', Fe.Query.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.TextString(), Is.EqualTo("SELECT 1"));
        Assert.That(Written(o => Fe.Query.Write(o, "SELECT 1")), Is.EqualTo(wire));
        RejectsTruncations<Query>(wire, Fe.Query.TryParse);
        RejectsTrailingByte<Query>(wire, Fe.Query.TryParse);
    }

    [Test]
    public void Query_text_is_a_slice_of_the_input_not_a_copy()
    {
        byte[] body = [.. "SELECT 1"u8, 0];
        var input = new ReadOnlySequence<byte>(body);
        Assert.That(Fe.Query.TryParse(input, out var message), Is.True);
        Assert.That(message.Text.Start.GetObject(), Is.SameAs(body));
    }

    [Test]
    public void Parse()
    {
        byte[] wire = [(byte)'P', 0, 0, 0, 28, .. "s1"u8, 0, .. "SELECT $1::int"u8, 0, 0, 1, 0, 0, 0, 23];
        var message = RoundTrip<Parse>(wire, (byte)'P', Fe.Parse.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.StatementName, Is.EqualTo("s1"));
        Assert.That(message.QueryString(), Is.EqualTo("SELECT $1::int"));
        Assert.That(message.ParameterTypes.Count, Is.EqualTo(1));
        Assert.That(message.ParameterTypes[0], Is.EqualTo(23u));
        Assert.That(message.ParameterTypes.ToArray(), Is.EqualTo(new uint[] { 23 }));
        Assert.That(Written(o => Fe.Parse.Write(o, "s1", "SELECT $1::int", [23])), Is.EqualTo(wire));
        RejectsTruncations<Parse>(wire, Fe.Parse.TryParse);
        RejectsTrailingByte<Parse>(wire, Fe.Parse.TryParse);
    }

    [Test]
    public void Parse_with_an_OID_above_two_billion_keeps_it_unsigned()
    {
        byte[] wire = [(byte)'P', 0, 0, 0, 13, 0, .. "x"u8, 0, 0, 1, 0xF0, 0, 0, 1];
        var message = RoundTrip<Parse>(wire, (byte)'P', Fe.Parse.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.StatementName, Is.Empty);
        Assert.That(message.ParameterTypes[0], Is.EqualTo(0xF0000001u));
    }

    [Test]
    public void Bind()
    {
        byte[] wire =
        [
            (byte)'B', 0, 0, 0, 34,
            .. "p1"u8, 0, .. "s1"u8, 0,
            0, 1, 0, 1,                          // one parameter format: binary, for all parameters
            0, 2, 0, 0, 0, 4, 0, 0, 0, 42,       // two parameters: int4 42 …
            255, 255, 255, 255,                  // … and NULL
            0, 2, 0, 0, 0, 1,                    // result formats: text, binary
        ];
        var message = RoundTrip<Bind>(wire, (byte)'B', Fe.Bind.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.PortalName, Is.EqualTo("p1"));
        Assert.That(message.StatementName, Is.EqualTo("s1"));
        Assert.That(message.ParameterFormats.ToArray(), Is.EqualTo(new short[] { 1 }));
        Assert.That(message.Parameters.Count, Is.EqualTo(2));
        Assert.That(message.Parameters[0].IsNull, Is.False);
        Assert.That(message.Parameters[0].Length, Is.EqualTo(4));
        Assert.That(message.Parameters[0].Data.ToArray(), Is.EqualTo(new byte[] { 0, 0, 0, 42 }));
        Assert.That(message.Parameters[1].IsNull, Is.True);
        Assert.That(message.Parameters[1].Length, Is.EqualTo(-1));
        Assert.That(message.ResultFormats.ToArray(), Is.EqualTo(new short[] { 0, 1 }));
        Assert.That(message.ResultFormats[1], Is.EqualTo(FormatCode.Binary));

        var seen = new List<int>();
        foreach (var parameter in message.Parameters)
        {
            seen.Add(parameter.Length);
        }

        Assert.That(seen, Is.EqualTo(new[] { 4, -1 }));
        Assert.That(Written(o => Fe.Bind.Write(o, "p1", "s1", [1], [[0, 0, 0, 42], null], [0, 1])), Is.EqualTo(wire));
        RejectsTruncations<Bind>(wire, Fe.Bind.TryParse);
        RejectsTrailingByte<Bind>(wire, Fe.Bind.TryParse);
    }

    [Test]
    public void Bind_with_a_negative_length_other_than_minus_one_is_malformed()
    {
        byte[] body = [0, 0, 0, 0, 0, 1, 255, 255, 255, 254, 0, 0];
        Rejects<Bind>(body, Fe.Bind.TryParse, "parameter length -2");
    }

    [Test]
    public void Bind_with_a_parameter_longer_than_the_body_is_malformed()
    {
        byte[] body = [0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 1, 2, 3, 0, 0];
        Rejects<Bind>(body, Fe.Bind.TryParse, "parameter length beyond the body");
    }

    [TestCase((byte)'S', DescribeTarget.Statement)]
    [TestCase((byte)'P', DescribeTarget.Portal)]
    public void Describe(byte target, DescribeTarget expected)
    {
        byte[] wire = [(byte)'D', 0, 0, 0, 8, target, .. "s1"u8, 0];
        var message = RoundTrip<Describe>(wire, (byte)'D', Fe.Describe.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Target, Is.EqualTo(expected));
        Assert.That(message.Name, Is.EqualTo("s1"));
        RejectsTruncations<Describe>(wire, Fe.Describe.TryParse);
        RejectsTrailingByte<Describe>(wire, Fe.Describe.TryParse);
        Rejects<Describe>([(byte)'X', .. "s1"u8, 0], Fe.Describe.TryParse, "neither 'S' nor 'P'");
    }

    [Test]
    public void Close()
    {
        byte[] wire = [(byte)'C', 0, 0, 0, 8, (byte)'P', .. "p1"u8, 0];
        var message = RoundTrip<Close>(wire, (byte)'C', Fe.Close.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Target, Is.EqualTo(DescribeTarget.Portal));
        Assert.That(message.Name, Is.EqualTo("p1"));
        RejectsTruncations<Close>(wire, Fe.Close.TryParse);
        RejectsTrailingByte<Close>(wire, Fe.Close.TryParse);
        Rejects<Close>([(byte)'s', .. "p1"u8, 0], Fe.Close.TryParse, "a lower-case target");
    }

    [Test]
    public void Execute()
    {
        byte[] wire = [(byte)'E', 0, 0, 0, 11, .. "p1"u8, 0, 0, 0, 0, 100];
        var message = RoundTrip<Execute>(wire, (byte)'E', Fe.Execute.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.PortalName, Is.EqualTo("p1"));
        Assert.That(message.MaxRows, Is.EqualTo(100));
        RejectsTruncations<Execute>(wire, Fe.Execute.TryParse);
        RejectsTrailingByte<Execute>(wire, Fe.Execute.TryParse);
    }

    [Test]
    public void Sync()
    {
        byte[] wire = [(byte)'S', 0, 0, 0, 4];
        RoundTrip<Sync>(wire, (byte)'S', Fe.Sync.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(Written(Fe.Sync.Write), Is.EqualTo(wire));
        RejectsTrailingByte<Sync>(wire, Fe.Sync.TryParse);
    }

    [Test]
    public void Flush()
    {
        byte[] wire = [(byte)'H', 0, 0, 0, 4];
        RoundTrip<Flush>(wire, (byte)'H', Fe.Flush.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(Written(Fe.Flush.Write), Is.EqualTo(wire));
        RejectsTrailingByte<Flush>(wire, Fe.Flush.TryParse);
    }

    [Test]
    public void Terminate()
    {
        byte[] wire = [(byte)'X', 0, 0, 0, 4];
        RoundTrip<Terminate>(wire, (byte)'X', Fe.Terminate.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(Written(Fe.Terminate.Write), Is.EqualTo(wire));
        RejectsTrailingByte<Terminate>(wire, Fe.Terminate.TryParse);
    }

    [Test]
    public void CopyData()
    {
        byte[] wire = [(byte)'d', 0, 0, 0, 10, .. "1\tone\n"u8];
        var message = RoundTrip<CopyData>(wire, (byte)'d', Fe.CopyData.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(Text(message.Data), Is.EqualTo("1\tone\n"));
        Assert.That(Written(o => Fe.CopyData.Write(o, "1\tone\n"u8)), Is.EqualTo(wire));
    }

    [Test]
    public void CopyDone()
    {
        byte[] wire = [(byte)'c', 0, 0, 0, 4];
        RoundTrip<CopyDone>(wire, (byte)'c', Fe.CopyDone.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(Written(Fe.CopyDone.Write), Is.EqualTo(wire));
        RejectsTrailingByte<CopyDone>(wire, Fe.CopyDone.TryParse);
    }

    [Test]
    public void CopyFail()
    {
        byte[] wire = [(byte)'f', 0, 0, 0, 12, .. "aborted"u8, 0];
        var message = RoundTrip<CopyFail>(wire, (byte)'f', Fe.CopyFail.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.ErrorMessage, Is.EqualTo("aborted"));
        RejectsTruncations<CopyFail>(wire, Fe.CopyFail.TryParse);
        RejectsTrailingByte<CopyFail>(wire, Fe.CopyFail.TryParse);
    }

    [Test]
    public void FunctionCall()
    {
        byte[] wire =
        [
            (byte)'F', 0, 0, 0, 28,
            0, 0, 3, 186,                        // function OID 954
            0, 1, 0, 1,                          // argument formats: binary for all
            0, 2, 0, 0, 0, 4, 0, 0, 0, 7,        // two arguments: int4 7 …
            255, 255, 255, 255,                  // … and NULL
            0, 1,                                // result format: binary
        ];
        var message = RoundTrip<FunctionCall>(wire, (byte)'F', Fe.FunctionCall.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.FunctionOid, Is.EqualTo(954u));
        Assert.That(message.ArgumentFormats.ToArray(), Is.EqualTo(new short[] { 1 }));
        Assert.That(message.Arguments.Count, Is.EqualTo(2));
        Assert.That(message.Arguments[0].Data.ToArray(), Is.EqualTo(new byte[] { 0, 0, 0, 7 }));
        Assert.That(message.Arguments[1].IsNull, Is.True);
        Assert.That(message.ResultFormat, Is.EqualTo(FormatCode.Binary));
        Assert.That(Written(o => Fe.FunctionCall.Write(o, 954, [1], [[0, 0, 0, 7], null], 1)), Is.EqualTo(wire));
        RejectsTruncations<FunctionCall>(wire, Fe.FunctionCall.TryParse);
        RejectsTrailingByte<FunctionCall>(wire, Fe.FunctionCall.TryParse);
    }

    [Test]
    public void GssResponse()
    {
        byte[] wire = [(byte)'p', 0, 0, 0, 7, 0x60, 0x82, 0x01];
        var message = RoundTrip<GssResponse>(wire, (byte)'p', Fe.GssResponse.TryParse, (m, o) => m.WriteTo(o));
        Assert.That(message.Data.ToArray(), Is.EqualTo(new byte[] { 0x60, 0x82, 0x01 }));
        Assert.That(Written(o => Fe.GssResponse.Write(o, [0x60, 0x82, 0x01])), Is.EqualTo(wire));
    }

    [Test]
    public void PasswordMessage()
    {
        byte[] wire = [(byte)'p', 0, 0, 0, 11, .. "secret"u8, 0];
        var message = RoundTrip<PasswordMessage>(wire, (byte)'p', Fe.PasswordMessage.TryParse,
            (m, o) => Fe.PasswordMessage.Write(o, m.PasswordText()));
        Assert.That(message.PasswordText(), Is.EqualTo("secret"));
        RejectsTruncations<PasswordMessage>(wire, Fe.PasswordMessage.TryParse);
        RejectsTrailingByte<PasswordMessage>(wire, Fe.PasswordMessage.TryParse);
    }

    [Test]
    public void SaslInitialResponse()
    {
        byte[] wire = [(byte)'p', 0, 0, 0, 33, .. "SCRAM-SHA-256"u8, 0, 0, 0, 0, 11, .. "n,,n=,r=abc"u8];
        var message = RoundTrip<SaslInitialResponse>(wire, (byte)'p', Fe.SaslInitialResponse.TryParse,
            (m, o) => Fe.SaslInitialResponse.Write(o, m.Mechanism, m.Data.ToArray()));
        Assert.That(message.Mechanism, Is.EqualTo("SCRAM-SHA-256"));
        Assert.That(Text(message.Data), Is.EqualTo("n,,n=,r=abc"));
        RejectsTruncations<SaslInitialResponse>(wire, Fe.SaslInitialResponse.TryParse);
        RejectsTrailingByte<SaslInitialResponse>(wire, Fe.SaslInitialResponse.TryParse);
    }

    [Test]
    public void SaslInitialResponse_without_data_uses_length_minus_one()
    {
        byte[] body = [.. "SCRAM-SHA-256"u8, 0, 255, 255, 255, 255];
        Assert.That(Fe.SaslInitialResponse.TryParse(new ReadOnlySequence<byte>(body), out var message), Is.True);
        Assert.That(message.Mechanism, Is.EqualTo("SCRAM-SHA-256"));
        Assert.That(message.Data.IsEmpty, Is.True);
        Rejects<SaslInitialResponse>([.. body, 1], Fe.SaslInitialResponse.TryParse, "data after a -1 length");
    }

    [Test]
    public void SaslResponse()
    {
        byte[] wire = [(byte)'p', 0, 0, 0, 22, .. "c=biws,r=abc,p=xyz"u8];
        var message = RoundTrip<SaslResponse>(wire, (byte)'p', Fe.SaslResponse.TryParse,
            (m, o) => Fe.SaslResponse.Write(o, m.Data.ToArray()));
        Assert.That(Text(message.Data), Is.EqualTo("c=biws,r=abc,p=xyz"));
    }

    [Test]
    public void StartupMessage()
    {
        byte[] packet = [0, 0, 0, 32, 0, 3, 0, 0, .. "user"u8, 0, .. "app"u8, 0, .. "database"u8, 0, .. "bank"u8, 0, 0];
        var parameters = packet[8..];
        foreach (var layout in Segments.EveryLayout(parameters))
        {
            Assert.That(Fe.StartupMessage.TryParse(StartupCode.ProtocolVersion30, layout, out var message), Is.True);
            Assert.That(message.ProtocolVersion, Is.EqualTo(196608));
            Assert.That(message.Parameters, Is.EqualTo(new[] { KeyValuePair.Create("user", "app"), KeyValuePair.Create("database", "bank") }));
            Assert.That(message["database"], Is.EqualTo("bank"));
            Assert.That(Written(message.WriteTo), Is.EqualTo(packet));
        }

        for (var length = 0; length < parameters.Length; length++)
        {
            Assert.That(Fe.StartupMessage.TryParse(StartupCode.ProtocolVersion30, new ReadOnlySequence<byte>(parameters, 0, length), out _),
                Is.False, $"parameters cut to {length} bytes");
        }

        Assert.That(Fe.StartupMessage.TryParse(StartupCode.ProtocolVersion30, new ReadOnlySequence<byte>([.. parameters, 0]), out _), Is.False);
    }

    [Test]
    public void CancelRequest()
    {
        byte[] packet = [0, 0, 0, 16, 4, 210, 22, 46, 0, 0, 0x30, 0x39, 0x12, 0x34, 0x56, 0x78];
        foreach (var layout in Segments.EveryLayout(packet))
        {
            Assert.That(Fe.CancelRequest.TryParse(layout, out var message), Is.True);
            Assert.That(message.ProcessId, Is.EqualTo(12345));
            Assert.That(message.SecretKey, Is.EqualTo(0x12345678));
            Assert.That(message.ToArray(), Is.EqualTo(packet));
        }

        Assert.That(Fe.CancelRequest.TryParse(new ReadOnlySequence<byte>(packet, 0, 15), out _), Is.False);
        byte[] sslCode = [.. packet];
        sslCode[7] = 47;
        Assert.That(Fe.CancelRequest.TryParse(new ReadOnlySequence<byte>(sslCode), out _), Is.False, "another request code");
    }

    [Test]
    public void SslRequest()
    {
        byte[] packet = [0, 0, 0, 8, 4, 210, 22, 47];
        Assert.That(Written(Fe.SslRequest.Write), Is.EqualTo(packet));
        foreach (var layout in Segments.EveryLayout(packet))
        {
            Assert.That(Fe.SslRequest.TryParse(layout, out _), Is.True);
        }

        Assert.That(Fe.SslRequest.Matches(80877103, []), Is.True);
        Assert.That(Fe.SslRequest.Matches(80877104, []), Is.False);
        Assert.That(Fe.SslRequest.Matches(80877103, [0]), Is.False);
        Assert.That(Fe.SslRequest.TryParse(new ReadOnlySequence<byte>([0, 0, 0, 8, 4, 210, 22, 48]), out _), Is.False);
        Assert.That(Fe.SslRequest.TryParse(new ReadOnlySequence<byte>(packet, 0, 7), out _), Is.False);
    }

    [Test]
    public void GssEncRequest()
    {
        byte[] packet = [0, 0, 0, 8, 4, 210, 22, 48];
        Assert.That(Written(Fe.GssEncRequest.Write), Is.EqualTo(packet));
        foreach (var layout in Segments.EveryLayout(packet))
        {
            Assert.That(Fe.GssEncRequest.TryParse(layout, out _), Is.True);
        }

        Assert.That(Fe.GssEncRequest.Matches(80877104, []), Is.True);
        Assert.That(Fe.GssEncRequest.TryParse(new ReadOnlySequence<byte>([0, 0, 0, 9, 4, 210, 22, 48]), out _), Is.False);
    }

    [Test]
    public void Writers_refuse_a_string_with_a_NUL_that_would_shift_every_later_field()
    {
        Assert.Throws<ArgumentException>(() => Written(o => Fe.Execute.Write(o, "p\01", 0)));
        Assert.Throws<ArgumentException>(() => Written(o => Fe.Query.Write(o, "SELECT 1;\0DROP TABLE t")));
    }
}
