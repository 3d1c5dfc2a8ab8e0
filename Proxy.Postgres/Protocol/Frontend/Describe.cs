using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>Describe ('D'): asks for a ParameterDescription and RowDescription (statement) or a RowDescription (portal). An empty name means the unnamed one.</summary>
public readonly record struct Describe(DescribeTarget Target, string Name)
{
    public const FrontendMessageCode Code = FrontendMessageCode.Describe;

    public static bool TryParse(ReadOnlySequence<byte> body, out Describe message)
    {
        var ok = SharedLayouts.TryReadTargetAndName(body, out var target, out var name);
        message = ok ? new Describe(target, name) : default;
        return ok;
    }

    public void WriteTo(IBufferWriter<byte> output) => Write(output, Target, Name);

    public static void Write(IBufferWriter<byte> output, DescribeTarget target, string name) =>
        SharedLayouts.WriteTargetAndName(output, (byte)Code, target, name);
}
