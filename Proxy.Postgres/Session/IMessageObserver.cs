using System.Buffers;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// Sees the messages a <see cref="MessageRelay"/> forwards. Most messages stream through untouched;
/// an observer names the few it must see whole. Later stages (policy, masking, recording) hook in here.
/// </summary>
public interface IMessageObserver
{
    /// <summary>
    /// Called exactly once per message, when the relay is about to forward its first byte (for a wanted message:
    /// when it is complete). False stops the relay before the message: none of it is forwarded or consumed.
    /// </summary>
    bool OnMessageStart(byte code);

    /// <summary>True when the relay must buffer this message type completely and pass it to <see cref="OnMessage"/>. Must have no side effects: it may be asked again while the message is incomplete.</summary>
    bool WantsMessage(byte code);

    /// <summary>Called with the body of a wanted message before it is forwarded; false stops the relay right after it.</summary>
    bool OnMessage(byte code, in ReadOnlySequence<byte> body);

    /// <summary>
    /// A wanted message is larger than the relay can hold whole: stream it through unseen (before
    /// <see cref="OnMessageStart"/>), drop it (in place of it goes what the observer wrote to
    /// <see cref="RelayEdits.ReplaceMessage"/>, possibly nothing), or end the session with a protocol error naming the limit.
    /// </summary>
    UninspectableAction OnUninspectable(byte code, int bodyLength);
}

/// <summary>What a relay does with a message too large to inspect.</summary>
public enum UninspectableAction
{
    Forward,

    /// <summary>None of its bytes reach the destination or the recording; only the observer's replacement does.</summary>
    Discard,

    Fail,
}
