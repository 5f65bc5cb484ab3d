using Huddle.Server.Signaling;

namespace Huddle.Server.Rooms;

/// <summary>Where a participant's outbound messages go. Implemented by the signaling connection.</summary>
internal interface IMessageSink
{
    /// <summary>Queues one serialized message; never blocks. False when the sink is closed or overflowing.</summary>
    bool TrySend(byte[] utf8Json);

    /// <summary>Ends the connection (the participant's media is gone, so is the participant).</summary>
    void Disconnect(string reason);
}

/// <summary>One person in one room.</summary>
internal sealed class Participant(string id, string name, MediaState media, IMessageSink sink)
{
    public string Id { get; } = id;
    public string Name { get; } = name;
    public IMessageSink Sink { get; } = sink;

    /// <summary>Written under the room's lock, read anywhere.</summary>
    public MediaState Media { get; set; } = media;

    public ParticipantInfo Info => new(Id, Name, Media);

    /// <summary>This participant's media on the SFU, in SFU rooms.</summary>
    public Huddle.Sfu.SfuPeer? Peer { get; set; }
}
