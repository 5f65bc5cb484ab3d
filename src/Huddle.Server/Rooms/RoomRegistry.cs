using System.Collections.Concurrent;
using Huddle.Server.Configuration;
using Huddle.Server.Media;
using Huddle.Sfu;
using Huddle.Server.Signaling;
using Microsoft.Extensions.Options;

namespace Huddle.Server.Rooms;

/// <summary>All rooms of this server. Rooms are created on first join and removed when empty.</summary>
internal sealed class RoomRegistry(IOptions<HuddleOptions> options, MediaHost media, ILogger<RoomRegistry> logger)
{
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private readonly HuddleOptions _options = options.Value;
    private readonly SfuSeats _sfuSeats = new(options.Value.SfuServerCapacity);

    /// <summary>People in SFU rooms now, all rooms together, and the server's limit (0: none).</summary>
    public (int Used, int Limit) SfuSeats => (_sfuSeats.Used, _sfuSeats.Limit);

    public int RoomCount => _rooms.Count;

    public Room? Find(string name) => _rooms.TryGetValue(name, out Room? room) ? room : null;

    public IEnumerable<Room> All() => _rooms.Values;

    /// <summary>Joins <paramref name="participant"/> to the room; the room is null when it or the server is full.</summary>
    public (Room? Room, JoinOutcome Outcome) Join(string roomName, Participant participant, Func<Room, Participant, ParticipantInfo[], byte[]> joinedMessage)
    {
        while (true)
        {
            Room room = _rooms.GetOrAdd(roomName, NewRoom);
            lock (room.Gate)
            {
                JoinOutcome outcome = room.AddLocked(participant, joinedMessage);
                switch (outcome)
                {
                    case JoinOutcome.Joined:
                        logger.LogInformation("Participant {Id} joined room {Room}", participant.Id, roomName);
                        return (room, outcome);
                    case JoinOutcome.Full:
                        return (null, outcome);
                    case JoinOutcome.ServerFull:
                        logger.LogWarning("Refused a join to room {Room}: the server's SFU holds {Limit} people", roomName, _sfuSeats.Limit);
                        // A room made for this join and refused stays empty: drop it.
                        if (room.CloseIfEmptyLocked()) _rooms.TryRemove(new KeyValuePair<string, Room>(roomName, room));
                        return (null, outcome);
                    case JoinOutcome.Closed:
                        break; // Emptied and dropped while we looked it up: take a fresh one.
                }
            }
        }
    }

    private Room NewRoom(string name) => new(name, new RoomPolicy(
        _options.RoomMode, _options.MeshCapacity, _options.SfuCapacity, _options.SfuAbove, _options.MeshAtOrBelow,
        _options.ChatHistory, TimeSpan.FromSeconds(10), n => new Router(n, media.Socket, media.Dtls, () => media.Candidates, _options.Media.ConsentTimeout)
        {
            MaxSubscribedTracks = _options.SfuMaxTracksPerSubscriber,
        }, _sfuSeats, logger));

    public void Leave(Room room, Participant participant)
    {
        lock (room.Gate)
        {
            if (room.RemoveLocked(participant))
            {
                _rooms.TryRemove(new KeyValuePair<string, Room>(room.Name, room));
            }
        }
        logger.LogInformation("Participant {Id} left room {Room}", participant.Id, room.Name);
    }
}
