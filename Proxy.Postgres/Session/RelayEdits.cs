using System.Buffers;
using HoopProxy.Core.Recording;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// What an observer does to a batch besides letting it through: events to record after a message, and whole
/// messages replaced by other bytes (or dropped). The observer raises them from inside
/// <see cref="IMessageObserver.OnMessage"/>; the relay pins each to the message being observed and applies them
/// in stream order, so a reader of the recording sees "statement" right after the Query it describes, and the
/// destination sees the replacement exactly where the original stood.
/// </summary>
public sealed class RelayEdits
{
    private readonly List<Edit> _edits = [];
    private ArrayBufferWriter<byte> _replacements = new(256);
    private int _unplaced;
    private int _replacementStart = -1;

    /// <summary>One edit, in source offsets of the batch. A replacement covers [Start, End) with bytes of <see cref="_replacements"/>.</summary>
    internal readonly record struct Edit(long Start, long End, IRecordedEvent? Event, int ReplacementOffset, int ReplacementLength)
    {
        public bool IsReplacement => Event is null;
    }

    /// <summary>Records <paramref name="recordedEvent"/> right after the message being observed.</summary>
    public void Add(IRecordedEvent recordedEvent)
    {
        _edits.Add(new Edit(-1, -1, recordedEvent, 0, 0));
        _unplaced++;
    }

    /// <summary>
    /// The message being observed is not forwarded; what is written into the returned writer (whole protocol
    /// messages, possibly none) goes in its place. Call at most once per message.
    /// </summary>
    public IBufferWriter<byte> ReplaceMessage()
    {
        if (_replacementStart >= 0)
        {
            throw new InvalidOperationException("the message already has a replacement");
        }

        _replacementStart = _replacements.WrittenCount;
        _edits.Add(new Edit(-1, -1, null, _replacementStart, 0));
        _unplaced++;
        return _replacements;
    }

    /// <summary>
    /// The message being observed is not forwarded and nothing goes in its place — also when an observer before this
    /// one already replaced it (the masking withholds what the policy would have sent). Safe to call more than once.
    /// </summary>
    public void DropMessage()
    {
        if (_replacementStart < 0)
        {
            ReplaceMessage();
            return;
        }

        // Forget what was written for this message: keep only the bytes of earlier messages' replacements.
        var kept = new ArrayBufferWriter<byte>(Math.Max(256, _replacementStart));
        kept.Write(_replacements.WrittenSpan[.._replacementStart]);
        _replacements = kept;
    }

    /// <summary>
    /// The message being observed waits: the relay forwards what came before it, then waits for
    /// <paramref name="release"/> and observes the message again (the observer then lets it pass or replaces it).
    /// Messages behind it wait too. Events raised with it are recorded before it.
    /// </summary>
    public void Hold(Task release)
    {
        if (HeldUntil is not null)
        {
            throw new InvalidOperationException("a message is already held");
        }

        HeldUntil = release;
    }

    /// <summary>Called (from the relay's thread) when the source closes while a message is held: the reason to wait is gone.</summary>
    public Action? SourceClosedWhileHeld { get; set; }

    internal Task? HeldUntil { get; private set; }

    internal void ReleaseHold() => HeldUntil = null;

    internal bool IsEmpty => _edits.Count == 0;

    internal IReadOnlyList<Edit> Pending => _edits;

    internal ReadOnlyMemory<byte> ReplacementBytes(Edit edit) => _replacements.WrittenMemory.Slice(edit.ReplacementOffset, edit.ReplacementLength);

    /// <summary>Pins what the observed message raised to it: the message spans [start, end) of the batch.</summary>
    internal void Place(long start, long end)
    {
        var first = _edits.Count - _unplaced;
        for (var i = first; i < _edits.Count; i++)
        {
            var edit = _edits[i];
            if (!edit.IsReplacement)
            {
                _edits[i] = edit with { Start = end, End = end };
                continue;
            }

            // The replacement goes first among what the message raised: its events describe what the peer got.
            _edits.RemoveAt(i);
            _edits.Insert(first, edit with { Start = start, End = end, ReplacementLength = _replacements.WrittenCount - edit.ReplacementOffset });
        }

        _unplaced = 0;
        _replacementStart = -1;
    }

    internal void Clear()
    {
        _edits.Clear();
        _replacements.ResetWrittenCount();
        _unplaced = 0;
        _replacementStart = -1;
    }
}
