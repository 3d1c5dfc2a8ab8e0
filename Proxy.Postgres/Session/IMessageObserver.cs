using System.Buffers;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// Sees the messages a <see cref="MessageRelay"/> forwards. Most messages stream through untouched;
/// an observer names the few it must see whole. Later stages (policy, masking, recording) hook in here.
/// </summary>
public interface IMessageObserver
{
    /// <summary>True when the relay must buffer this message type completely and pass it to <see cref="OnMessage"/>.</summary>
    bool WantsMessage(byte code);

    /// <summary>Called with the body of a wanted message before it is forwarded; false stops the relay right after it.</summary>
    bool OnMessage(byte code, in ReadOnlySequence<byte> body);
}
