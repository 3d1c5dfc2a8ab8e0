using HoopProxy.Ssh;
using HoopProxy.Ssh.Authentication.Messages;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Messages;

/// <summary>
/// Random and mutated payloads behind each message number: a parser may refuse them only with
/// <see cref="SshProtocolException"/>, and whatever it accepts re-encodes to something it parses to the same value.
/// </summary>
public sealed class MessageFuzzTests
{
    private const int Iterations = 10_000;

    private static readonly Func<byte[], object>[] TypedRequestReaders =
    [
        d => PtyRequest.Parse(d), d => X11Request.Parse(d), d => EnvRequest.Parse(d), d => ShellRequest.Parse(d),
        d => ExecRequest.Parse(d), d => SubsystemRequest.Parse(d), d => WindowChangeRequest.Parse(d), d => XonXoffRequest.Parse(d),
        d => SignalRequest.Parse(d), d => ExitStatusRequest.Parse(d), d => ExitSignalRequest.Parse(d), d => BreakRequest.Parse(d),
        d => KeepAliveRequest.Parse(d), d => EowRequest.Parse(d),
    ];

    /// <summary>Parses a payload as the message of its number, reading every typed helper too; returns the message.</summary>
    private static readonly Dictionary<SshMessageNumber, Func<byte[], object>> Parsers = new()
    {
        [SshMessageNumber.Disconnect] = p => Disconnect.Parse(p),
        [SshMessageNumber.Ignore] = p => Ignore.Parse(p),
        [SshMessageNumber.Unimplemented] = p => Unimplemented.Parse(p),
        [SshMessageNumber.Debug] = p => Debug.Parse(p),
        [SshMessageNumber.ServiceRequest] = p => ServiceRequest.Parse(p),
        [SshMessageNumber.ServiceAccept] = p => ServiceAccept.Parse(p),
        [SshMessageNumber.ExtInfo] = p =>
        {
            var info = ExtInfo.Parse(p);
            TryTyped(() => _ = info.ServerSigAlgs);
            return info;
        },
        [SshMessageNumber.KexInit] = p => KexInit.Parse(p),
        [SshMessageNumber.NewKeys] = p => NewKeys.Parse(p),
        [SshMessageNumber.KexEcdhInit] = p => KexEcdhInit.Parse(p),
        [SshMessageNumber.KexEcdhReply] = p => KexEcdhReply.Parse(p),
        [SshMessageNumber.UserAuthRequest] = p => UserAuthRequest.Parse(p),
        [SshMessageNumber.UserAuthFailure] = p => UserAuthFailure.Parse(p),
        [SshMessageNumber.UserAuthSuccess] = p => UserAuthSuccess.Parse(p),
        [SshMessageNumber.UserAuthBanner] = p => UserAuthBanner.Parse(p),
        // 60 is PK_OK during "publickey" and INFO_REQUEST during "keyboard-interactive": both parsers see every payload.
        [SshMessageNumber.UserAuthPublicKeyOk] = p =>
        {
            TryTyped(() => UserAuthInfoRequest.Parse(p));
            return UserAuthPublicKeyOk.Parse(p);
        },
        [SshMessageNumber.UserAuthInfoResponse] = p => UserAuthInfoResponse.Parse(p),
        [SshMessageNumber.GlobalRequest] = p =>
        {
            var request = GlobalRequest.Parse(p);
            TryTyped(() => TcpipForwardData.Parse(request.RequestData.Span));
            return request;
        },
        [SshMessageNumber.RequestSuccess] = p =>
        {
            var success = RequestSuccess.Parse(p);
            TryTyped(() => success.ReadBoundPort());
            return success;
        },
        [SshMessageNumber.RequestFailure] = p => RequestFailure.Parse(p),
        [SshMessageNumber.ChannelOpen] = p =>
        {
            var open = ChannelOpen.Parse(p);
            TryTyped(() => TcpipChannelData.Parse(open.TypeData.Span));
            TryTyped(() => X11ChannelData.Parse(open.TypeData.Span));
            return open;
        },
        [SshMessageNumber.ChannelOpenConfirmation] = p => ChannelOpenConfirmation.Parse(p),
        [SshMessageNumber.ChannelOpenFailure] = p => ChannelOpenFailure.Parse(p),
        [SshMessageNumber.ChannelWindowAdjust] = p => ChannelWindowAdjust.Parse(p),
        [SshMessageNumber.ChannelData] = p =>
        {
            _ = ChannelData.ParseView(p);
            _ = ChannelData.ParseSlice(p);
            return ChannelData.Parse(p);
        },
        [SshMessageNumber.ChannelExtendedData] = p =>
        {
            _ = ChannelExtendedData.ParseView(p);
            _ = ChannelExtendedData.ParseSlice(p);
            return ChannelExtendedData.Parse(p);
        },
        [SshMessageNumber.ChannelEof] = p => ChannelEof.Parse(p),
        [SshMessageNumber.ChannelClose] = p => ChannelClose.Parse(p),
        [SshMessageNumber.ChannelRequest] = p =>
        {
            var request = ChannelRequest.Parse(p);
            foreach (var type in TypedRequestReaders)
            {
                TryTyped(() => type(request.RequestData.ToArray()));
            }

            return request;
        },
        [SshMessageNumber.ChannelSuccess] = p => ChannelSuccess.Parse(p),
        [SshMessageNumber.ChannelFailure] = p => ChannelFailure.Parse(p),
    };

    // Typed helpers see the random data too: a protocol error is their allowed answer, anything else escapes.
    private static void TryTyped(Action read)
    {
        try
        {
            read();
        }
        catch (SshProtocolException)
        {
        }
    }

    public static IEnumerable<TestCaseData> Numbers() =>
        Enum.GetValues<SshMessageNumber>().Distinct().Select(n => new TestCaseData(n).SetArgDisplayNames($"{n}({(byte)n})"));

    [TestCaseSource(nameof(Numbers))]
    public void Random_and_mutated_payloads_raise_only_protocol_errors(SshMessageNumber number)
    {
        var parse = Parsers[number];
        var samples = MessageCases.All().Select(c => c.Encode()).Where(b => b[0] == (byte)number).ToArray();
        var random = new Random(7919 * (byte)number + 1);
        var accepted = 0;

        for (var i = 0; i < Iterations; i++)
        {
            var payload = samples.Length > 0 && i % 2 == 1 ? Mutate(samples[random.Next(samples.Length)], random) : RandomPayload(random);
            payload[0] = (byte)number;
            object message;
            try
            {
                message = parse(payload);
            }
            catch (SshProtocolException)
            {
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"{e.GetType().Name} ({e.Message}) escaped for payload {Convert.ToHexString(payload)}");
                throw;
            }

            accepted++;
            if (message is KexInit)
            {
                continue; // KexInit (not one of these types) keeps its raw payload rather than writing itself.
            }

            var again = parse(MessageCases.EncodeAny(message));
            Assert.That(again, Is.EqualTo(message), $"re-encoded from payload {Convert.ToHexString(payload)}");
        }

        // The mutations must reach past the first field sometimes, or the test proves little.
        if (samples.Length > 0)
        {
            Assert.That(accepted, Is.GreaterThan(0), "no mutated payload was ever accepted");
        }
    }

    private static byte[] RandomPayload(Random random)
    {
        var payload = new byte[1 + random.Next(random.Next(2) == 0 ? 16 : 200)];
        random.NextBytes(payload);
        return payload;
    }

    private static byte[] Mutate(byte[] sample, Random random)
    {
        var bytes = sample.ToList();
        var edits = 1 + random.Next(3);
        for (var e = 0; e < edits; e++)
        {
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 1: // flip a byte
                    bytes[1 + random.Next(bytes.Count - 1)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 1: // drop a byte, then truncate
                    bytes.RemoveRange(1 + random.Next(bytes.Count - 1), 1);
                    bytes = bytes.Take(1 + random.Next(bytes.Count)).ToList();
                    break;
                case 2: // append
                    bytes.AddRange(Enumerable.Range(0, 1 + random.Next(8)).Select(_ => (byte)random.Next(256)));
                    break;
                case 3 when bytes.Count > 5: // a length-like uint32 somewhere
                    var at = 1 + random.Next(bytes.Count - 4);
                    uint value = random.Next(4) switch { 0 => 0, 1 => 0xFFFF_FFFF, 2 => 0x8000_0000, _ => (uint)random.Next(64) };
                    bytes[at] = (byte)(value >> 24);
                    bytes[at + 1] = (byte)(value >> 16);
                    bytes[at + 2] = (byte)(value >> 8);
                    bytes[at + 3] = (byte)value;
                    break;
                default: // an invalid UTF-8 or non-ASCII byte
                    if (bytes.Count > 1)
                    {
                        bytes[1 + random.Next(bytes.Count - 1)] = random.Next(2) == 0 ? (byte)0xC3 : (byte)0xFF;
                    }

                    break;
            }
        }

        return [.. bytes];
    }
}
