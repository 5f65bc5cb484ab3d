using Huddle.Media.Transport;
using System.Text.Json;
using Huddle.Server.Signaling;
using Huddle.Sfu;

namespace Huddle.Server.Rooms;

/// <summary>
/// Membership of one room. Every change and the notifications it causes happen under the room's
/// lock, so each participant sees joins and leaves in one consistent order and never misses a leave
/// of someone it was told about.
/// </summary>
internal sealed class Room(string name, RoomPolicy policy)
{
    private readonly List<Participant> _members = [];
    private readonly Queue<ChatMessage> _chat = new();
    private readonly int chatHistory = policy.ChatHistory;

    public string Name { get; } = name;
    public int Capacity { get; } = policy.Capacity;
    public RoomPolicy Policy { get; } = policy;

    /// <summary><c>sfu</c> when the room's media goes through the server's <see cref="Router"/>, else <c>mesh</c>.</summary>
    public string Mode => Router is null ? "mesh" : "sfu";

    /// <summary>The room's SFU while its media goes through the server; changes only under <see cref="Gate"/>.</summary>
    public Router? Router { get; private set; } = policy.Mode == "sfu" ? policy.CreateRouter(name) : null;

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
        // auto: one more than the mesh carries well moves the whole room to the server, nobody rejoins,
        // if the server has SFU seats for all of them; otherwise the room stays peer to peer while a
        // mesh holds it.
        bool wantsSfu = Policy.Mode == "auto" && Router is null && _members.Count + 1 > Policy.SwitchToSfuAbove;
        bool upgrade = wantsSfu && Policy.SfuSeats.TryTake(_members.Count + 1);
        if (upgrade) Router = Policy.CreateRouter(Name);
        else if (wantsSfu && _members.Count >= Math.Max(Policy.MeshCapacity, Policy.SwitchToSfuAbove)) return JoinOutcome.ServerFull;
        else if (Router is not null && !Policy.SfuSeats.TryTake(1)) return JoinOutcome.ServerFull;
        ParticipantInfo[] others = [.. _members.Select(m => m.Info)];
        _members.Add(newcomer);
        // The newcomer's `joined` goes out before anyone else can notify it of a later change.
        newcomer.Sink.TrySend(joinedMessage(this, newcomer, others));
        if (upgrade)
        {
            // Before participant-joined, so nobody starts a mesh connection to the newcomer.
            byte[] mode = Serialize(new ModeMessage("sfu"), SignalingJson.Default.ModeMessage);
            foreach (Participant member in _members)
            {
                if (ReferenceEquals(member, newcomer)) continue;
                member.Sink.TrySend(mode);
                member.Peer = Router!.AddPeer(member.Id, new PeerSignals(member, Policy.Logger));
            }
        }
        BroadcastLocked(Serialize(new ParticipantJoinedMessage(newcomer.Info), SignalingJson.Default.ParticipantJoinedMessage), except: newcomer);
        if (Router is not null)
        {
            if (_chat.Count > 0) newcomer.Sink.TrySend(Serialize(new ChatHistoryMessage([.. _chat]), SignalingJson.Default.ChatHistoryMessage));
            // Subscribes the newcomer to everything already published; its subscribe offer follows `joined`.
            newcomer.Peer = Router.AddPeer(newcomer.Id, new PeerSignals(newcomer, Policy.Logger));
        }
        return JoinOutcome.Joined;
    }

    /// <summary>A room nobody could join (made for a join the server refused) closes; the caller holds <see cref="Gate"/>.</summary>
    internal bool CloseIfEmptyLocked()
    {
        if (_members.Count > 0) return false;
        Closed = true;
        Router?.Dispose();
        Router = null;
        return true;
    }

    /// <summary>Removes the participant; returns true when the room became empty. The caller holds <see cref="Gate"/>.</summary>
    internal bool RemoveLocked(Participant participant)
    {
        if (!_members.Remove(participant)) return false;
        if (Router is not null)
        {
            Router.RemovePeer(participant.Id);
            Policy.SfuSeats.Release(1);
        }
        participant.Peer = null;
        BroadcastLocked(Serialize(new ParticipantLeftMessage(participant.Id), SignalingJson.Default.ParticipantLeftMessage), except: null);
        if (_members.Count == 0)
        {
            Closed = true;
            Router?.Dispose();
            Router = null;
            return true;
        }
        if (Policy.Mode == "auto" && Router is not null && _members.Count <= Policy.SwitchToMeshAtOrBelow)
        {
            // Back to peer to peer. The SFU keeps forwarding for a while, so the pictures keep moving
            // until the browsers' direct connections carry them.
            Router old = Router;
            Router = null;
            Policy.SfuSeats.Release(_members.Count);
            byte[] mode = Serialize(new ModeMessage("mesh"), SignalingJson.Default.ModeMessage);
            foreach (Participant member in _members)
            {
                member.Peer = null;
                member.Sink.TrySend(mode);
            }
            _ = Task.Delay(Policy.SfuGracePeriod).ContinueWith(_ => old.Dispose(), TaskScheduler.Default);
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

    /// <summary>
    /// SFU rooms: a chat message goes through the server to everyone else, and the last
    /// <c>chatHistory</c> messages are kept for people who join later.
    /// </summary>
    public void Chat(Participant sender, string text)
    {
        var message = new ChatMessage(sender.Id, sender.Name, text, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        lock (Gate)
        {
            if (!_members.Contains(sender)) return;
            if (chatHistory > 0)
            {
                _chat.Enqueue(message);
                while (_chat.Count > chatHistory) _chat.Dequeue();
            }
            BroadcastLocked(Serialize(message, SignalingJson.Default.ChatMessage), except: sender);
        }
    }

    /// <summary>Carries an SFU peer's subscribe offers to its browser; a failed transport ends the participant.</summary>
    private sealed class PeerSignals(Participant participant, ILogger logger) : ISfuPeerListener
    {
        public void OnSubscribeOffer(SfuPeer peer, string sdp, IReadOnlyList<SubscribedTrack> tracks, IReadOnlyList<string> waiting)
        {
            var message = new SubscribeMessage(sdp, [.. tracks.Select(t => new SubscribeTrack(t.Mid, t.ParticipantId, t.Kind))], [.. waiting]);
            participant.Sink.TrySend(Serialize(message, SignalingJson.Default.SubscribeMessage));
        }

        public void OnTransportFailed(SfuPeer peer, string reason) => participant.Sink.Disconnect($"media connection lost ({reason})");

        public void OnTransportStateChanged(SfuPeer peer, bool publish, WebRtcTransportState state, string? reason) =>
            logger.LogInformation("SFU {Which} transport of {Id}: {State} {Reason}", publish ? "publish" : "subscribe", peer.Id, state, reason);
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

internal enum JoinOutcome { Joined, Full, ServerFull, Closed }

/// <summary>
/// The server-wide count of people in SFU rooms against <see cref="Configuration.HuddleOptions.SfuServerCapacity"/>.
/// Rooms take seats under their own lock, so the count is shared with atomics.
/// </summary>
internal sealed class SfuSeats(int limit)
{
    private int _used;

    /// <summary>0: no limit.</summary>
    public int Limit { get; } = limit;

    public int Used => Volatile.Read(ref _used);

    public bool TryTake(int count)
    {
        while (true)
        {
            int used = Volatile.Read(ref _used);
            if (Limit > 0 && used + count > Limit) return false;
            if (Interlocked.CompareExchange(ref _used, used + count, used) == used) return true;
        }
    }

    public void Release(int count) => Interlocked.Add(ref _used, -count);
}

/// <summary>How a room carries media, from <see cref="Configuration.HuddleOptions"/>.</summary>
internal sealed record RoomPolicy(
    string Mode,
    int MeshCapacity,
    int SfuCapacity,
    int SwitchToSfuAbove,
    int SwitchToMeshAtOrBelow,
    int ChatHistory,
    TimeSpan SfuGracePeriod,
    Func<string, Router> CreateRouter,
    SfuSeats SfuSeats,
    ILogger Logger)
{
    /// <summary>A mesh room holds <see cref="MeshCapacity"/>; SFU and auto rooms <see cref="SfuCapacity"/>.</summary>
    public int Capacity => Mode == "mesh" ? MeshCapacity : SfuCapacity;
}
