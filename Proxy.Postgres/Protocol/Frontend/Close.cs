using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>Close ('C'): releases a prepared statement or a portal; closing one that does not exist is not an error. An empty name means the unnamed one.</summary>
public readonly record struct Close(DescribeTarget Target, string Name)
{
    public const FrontendMessageCode Code = FrontendMessageCode.Close;

    public static bool TryParse(ReadOnlySequence<byte> body, out Close message)
    {
        var ok = SharedLayouts.TryReadTargetAndName(body, out var target, out var name);
        message = ok ? new Close(target, name) : default;
        return ok;
    }

    public void WriteTo(IBufferWriter<byte> output) => Write(output, Target, Name);

    public static void Write(IBufferWriter<byte> output, DescribeTarget target, string name) =>
        SharedLayouts.WriteTargetAndName(output, (byte)Code, target, name);
}
