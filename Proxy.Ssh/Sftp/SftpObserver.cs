using HoopProxy.Ssh.Session;

namespace HoopProxy.Ssh.Sftp;

/// <summary>
/// Watches an sftp subsystem channel and records its operations as <c>sftp</c> events (see <see cref="SftpDecoder"/>).
/// It only describes the bytes: whatever it meets — a malformed or oversized packet, a version it does not read, a
/// fault of its own — it records one <c>decoding-stopped</c> event with the reason, lets go of what it held, and
/// watches no more, while the relay carries the bytes on as before. It never throws into the relay.
/// </summary>
internal sealed class SftpObserver : IChannelObserver
{
    private readonly SftpDecoder _decoder = new();
    private readonly SftpPacketAssembler _fromClient;
    private readonly SftpPacketAssembler _fromServer;
    private bool _done;

    public SftpObserver()
    {
        _fromClient = new SftpPacketAssembler(fromClient: true, _decoder);
        _fromServer = new SftpPacketAssembler(fromClient: false, _decoder);
    }

    public void OnData(bool fromClient, ReadOnlySpan<byte> data, ICollection<ChannelObservation> observations)
    {
        if (_done)
        {
            return;
        }

        try
        {
            (fromClient ? _fromClient : _fromServer).Feed(data);
        }
        catch (SftpDecodingException e)
        {
            Stop(fromClient, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A fault in describing the bytes must not end a transfer the proxy carries correctly: it is recorded instead.
            Stop(fromClient, $"the decoder failed: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            TakeEvents(observations);
        }
    }

    public void OnClose(ICollection<ChannelObservation> observations)
    {
        if (_done)
        {
            return;
        }

        try
        {
            _decoder.ReportUnfinished();
        }
        finally
        {
            Release();
            TakeEvents(observations);
        }
    }

    private void Stop(bool fromClient, string reason)
    {
        _decoder.Events.Add(SftpEvents.Stopped(fromClient, reason));
        Release();
    }

    private void Release()
    {
        _done = true;
        _fromClient.Dispose();
        _fromServer.Dispose();
        _decoder.Dispose();
    }

    private void TakeEvents(ICollection<ChannelObservation> observations)
    {
        foreach (var fields in _decoder.Events)
        {
            observations.Add(new ChannelObservation(SftpEvents.Type, fields));
        }

        _decoder.Events.Clear();
    }
}
