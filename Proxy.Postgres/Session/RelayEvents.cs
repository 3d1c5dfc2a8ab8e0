using HoopProxy.Core.Recording;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// Events an observer raises while its relay scans a batch of messages. The relay pins each to the end of the
/// message that raised it and records it exactly there, between the bytes before and after, so a reader sees
/// "statement" right after the Query it describes and "outcome" right after the CommandComplete.
/// </summary>
public sealed class RelayEvents
{
    private readonly List<(long Offset, IRecordedEvent Event)> _pending = [];
    private int _unplaced;

    /// <summary>Raised from inside <see cref="IMessageObserver.OnMessage"/>: belongs after the message being observed.</summary>
    public void Add(IRecordedEvent recordedEvent)
    {
        _pending.Add((-1, recordedEvent));
        _unplaced++;
    }

    internal bool IsEmpty => _pending.Count == 0;

    internal IReadOnlyList<(long Offset, IRecordedEvent Event)> Pending => _pending;

    /// <summary>Gives the events raised by the message just observed the offset, within the batch, where that message ends.</summary>
    internal void PlaceAt(long offset)
    {
        for (var i = _pending.Count - _unplaced; i < _pending.Count; i++)
        {
            _pending[i] = (offset, _pending[i].Event);
        }

        _unplaced = 0;
    }

    internal void Clear()
    {
        _pending.Clear();
        _unplaced = 0;
    }
}
