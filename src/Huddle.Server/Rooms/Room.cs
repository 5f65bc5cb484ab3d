using System.Text.Json;
using Huddle.Server.Signaling;

namespace Huddle.Server.Rooms;

/// <summary>
/// Membership of one room. Every change and the notifications it causes happen under the room's
/// lock, so each participant sees joins and leaves in one consistent order and never misses a leave
/// of someone it was told about.
/// </summary>
internal sealed class Room(string name, int capacity)
{
    private readonly List<Participant> _members = [];

    public string Name { get; } = name;
    public int Capacity { get; } = capacity;
    public string Mode => "mesh";

    /// <summary>Set when the last member left and the room was dropped from the registry.</summary>
    public bool Closed { get; private set; }

    internal object Gate => _members;

    public int Count { get { lock (Gate) return _members.Count; } }

    public ParticipantInfo[] Snapshot()
    {
        lock (Gate) return [.. _members.Select(m => m.Info)];
    }

    public Participant? Find(string id)
    {
        lock (Gate) return _members.Find(m => m.Id == id);
    }

    /// <summary>Adds the participant unless the room is full; the caller holds <see cref="Gate"/>.</summary>
    internal JoinOutcome AddLocked(Participant newcomer, Func<Room, Participant, ParticipantInfo[], byte[]> joinedMessage)
    {
        if (Closed) return JoinOutcome.Closed;
        if (_members.Count >= Capacity) return JoinOutcome.Full;
        ParticipantInfo[] others = [.. _members.Select(m => m.Info)];
        _members.Add(newcomer);
        // The newcomer's `joined` goes out before anyone else can notify it of a later change.
        newcomer.Sink.TrySend(joinedMessage(this, newcomer, others));
        BroadcastLocked(Serialize(new ParticipantJoinedMessage(newcomer.Info), SignalingJson.Default.ParticipantJoinedMessage), except: newcomer);
        return JoinOutcome.Joined;
    }

    /// <summary>Removes the participant; returns true when the room became empty. The caller holds <see cref="Gate"/>.</summary>
    internal bool RemoveLocked(Participant participant)
    {
        if (!_members.Remove(participant)) return false;
        BroadcastLocked(Serialize(new ParticipantLeftMessage(participant.Id), SignalingJson.Default.ParticipantLeftMessage), except: null);
        if (_members.Count == 0)
        {
            Closed = true;
            return true;
        }
        return false;
    }

    public void UpdateMedia(Participant participant, MediaState media)
    {
        lock (Gate)
        {
            if (!_members.Contains(participant)) return;
            participant.Media = media;
            BroadcastLocked(Serialize(new MediaMessage(participant.Id, media.Audio, media.Video), SignalingJson.Default.MediaMessage), except: participant);
        }
    }

    private void BroadcastLocked(byte[] message, Participant? except)
    {
        foreach (Participant member in _members)
        {
            if (!ReferenceEquals(member, except)) member.Sink.TrySend(message);
        }
    }

    internal static byte[] Serialize<T>(T message, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.SerializeToUtf8Bytes(message, type);
}

internal enum JoinOutcome { Joined, Full, Closed }
