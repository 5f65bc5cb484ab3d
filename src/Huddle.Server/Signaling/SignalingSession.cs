using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using Huddle.Server.Configuration;
using Huddle.Server.Rooms;
using Huddle.Sfu;

namespace Huddle.Server.Signaling;

/// <summary>
/// The protocol state of one signaling socket: which room it joined, as whom. Every method runs on
/// the connection's receive loop, one message at a time, so the state needs no lock.
/// </summary>
internal sealed class SignalingSession(SignalingConnection connection, RoomRegistry rooms, HuddleOptions options)
{
    public const int ProtocolVersion = 1;
    private const int MaxSdpLength = 60_000;
    private const int MaxCandidateLength = 1_024;
    private const int MaxMidLength = 64;
    private const int MaxChatLength = 2000;

    private Room? _room;
    private Participant? _self;

    /// <summary>Who this socket is or last was in a room, for logs.</summary>
    public string? ParticipantId { get; private set; }

    public void Handle(ReadOnlySpan<byte> utf8)
    {
        string? type;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 16 });
            type = ReadType(ref reader);
        }
        catch (JsonException)
        {
            SendError(ErrorCodes.BadRequest, "The message is not valid JSON.");
            return;
        }
        if (type is null)
        {
            SendError(ErrorCodes.BadRequest, "A message must be a JSON object with a string \"type\".");
            return;
        }

        try
        {
            switch (type)
            {
                case "join": OnJoin(JsonSerializer.Deserialize(utf8, SignalingJson.Default.JoinRequest)); break;
                case "offer":
                case "answer": OnDescription(type, JsonSerializer.Deserialize(utf8, SignalingJson.Default.DescriptionRequest)); break;
                case "candidate": OnCandidate(JsonSerializer.Deserialize(utf8, SignalingJson.Default.CandidateRequest)); break;
                case "media": OnMedia(JsonSerializer.Deserialize(utf8, SignalingJson.Default.MediaRequest)); break;
                case "publish": OnPublish(JsonSerializer.Deserialize(utf8, SignalingJson.Default.SdpRequest)); break;
                case "subscribe-answer": OnSubscribeAnswer(JsonSerializer.Deserialize(utf8, SignalingJson.Default.SdpRequest)); break;
                case "chat": OnChat(JsonSerializer.Deserialize(utf8, SignalingJson.Default.ChatRequest)); break;
                case "leave": OnLeave(); break;
                case "ping": connection.TrySend(s_pong); break;
                default: SendError(ErrorCodes.UnknownType, $"Unknown message type \"{Truncate(type, 32)}\"."); break;
            }
        }
        catch (JsonException)
        {
            SendError(ErrorCodes.BadRequest, $"A field of the \"{type}\" message has the wrong type.");
        }
    }

    /// <summary>The socket closed or timed out: leaving the room is implied.</summary>
    public void OnDisconnected() => OnLeave(quiet: true);

    public void SendError(string code, string message)
    {
        // A description's parse error quotes the bad line, which may be an ICE password: not logged.
        int quoted = message.IndexOf("not valid SDP:", StringComparison.Ordinal);
        connection.LogRefusal(_self?.Id, code, quoted >= 0 ? message[..(quoted + 13)] : message);
        Send(new ErrorMessage(code, message), SignalingJson.Default.ErrorMessage);
    }

    private void OnJoin(JoinRequest? request)
    {
        if (request is null) { SendError(ErrorCodes.BadRequest, "join needs room and name."); return; }
        if (_self is not null) { SendError(ErrorCodes.AlreadyJoined, "You are already in a room; leave it first."); return; }
        if (request.Protocol is { } version && version != ProtocolVersion)
        {
            SendError(ErrorCodes.UnsupportedProtocol, $"This server speaks protocol {ProtocolVersion}; reload the page.");
            return;
        }
        string? room = Names.NormalizeRoom(request.Room);
        if (room is null)
        {
            SendError(ErrorCodes.InvalidRoom, $"Room names have 1 to {Names.MaxRoomLength} letters, digits, '-' or '_'.");
            return;
        }
        string? name = Names.NormalizeDisplayName(request.Name);
        if (name is null)
        {
            SendError(ErrorCodes.InvalidName, $"Names have 1 to {Names.MaxNameLength} characters, without < > \" ' & ` or control characters.");
            return;
        }

        var self = new Participant(NewId(), name, request.Media ?? new MediaState(false, false), connection);
        (Room? joined, JoinOutcome outcome) = rooms.Join(room, self, JoinedFor);
        if (outcome == JoinOutcome.ServerFull)
        {
            SendError(ErrorCodes.ServerFull, "This server is hosting as many people as it can right now. Try again in a while.");
            return;
        }
        if (joined is null)
        {
            int capacity = options.RoomMode == "mesh" ? options.MeshCapacity : options.SfuCapacity;
            SendError(ErrorCodes.RoomFull, $"This room is full ({capacity} of {capacity}).");
            return;
        }
        _room = joined;
        _self = self;
        ParticipantId = self.Id;
    }

    private byte[] JoinedFor(Room room, Participant self, ParticipantInfo[] others)
    {
        IceServer[] ice = [.. options.IceServers.Select(s => new IceServer([.. s.Urls], s.Username, s.Credential))];
        var joined = new JoinedMessage(ProtocolVersion, self.Id, room.Name, room.Mode, room.Capacity, others, ice);
        return JsonSerializer.SerializeToUtf8Bytes(joined, SignalingJson.Default.JoinedMessage);
    }

    private void OnDescription(string type, DescriptionRequest? request)
    {
        if (!RequireJoined()) return;
        if (request?.Sdp is not { } sdp || request.To is null)
        {
            SendError(ErrorCodes.BadRequest, $"{type} needs \"to\" and \"sdp\" strings.");
            return;
        }
        if (sdp.Length > MaxSdpLength) { SendError(ErrorCodes.BadRequest, "The session description is too long."); return; }
        if (FindPeer(request.To) is not { } peer) return;
        peer.Sink.TrySend(JsonSerializer.SerializeToUtf8Bytes(new DescriptionMessage(type, _self!.Id, sdp), SignalingJson.Default.DescriptionMessage));
    }

    private void OnCandidate(CandidateRequest? request)
    {
        if (!RequireJoined()) return;
        if (request?.To is null || request.Candidate is not { Candidate: { } text } candidate)
        {
            SendError(ErrorCodes.BadRequest, "candidate needs \"to\" and a \"candidate\" object with a \"candidate\" string.");
            return;
        }
        if (text.Length > MaxCandidateLength || candidate.SdpMid?.Length > MaxMidLength
            || candidate.UsernameFragment?.Length > MaxMidLength || candidate.SdpMLineIndex is < 0 or > 1024)
        {
            SendError(ErrorCodes.BadRequest, "The ICE candidate is malformed.");
            return;
        }
        if (FindPeer(request.To) is not { } peer) return;
        peer.Sink.TrySend(JsonSerializer.SerializeToUtf8Bytes(new CandidateMessage(_self!.Id, candidate), SignalingJson.Default.CandidateMessage));
    }

    private void OnMedia(MediaRequest? request)
    {
        if (!RequireJoined()) return;
        if (request?.Audio is not { } audio || request.Video is not { } video)
        {
            SendError(ErrorCodes.BadRequest, "media needs \"audio\" and \"video\" booleans.");
            return;
        }
        _room!.UpdateMedia(_self!, new MediaState(audio, video));
    }

    /// <summary>SFU rooms: the client's offer for the connection it sends its camera and microphone on.</summary>
    private void OnPublish(SdpRequest? request)
    {
        if (RequirePeer("publish") is not { } peer) return;
        if (request?.Sdp is not { Length: > 0 } sdp) { SendError(ErrorCodes.BadRequest, "publish needs an \"sdp\" string."); return; }
        if (sdp.Length > MaxSdpLength) { SendError(ErrorCodes.BadRequest, "The session description is too long."); return; }
        try
        {
            Send(new PublishAnswerMessage(peer.Publish(sdp)), SignalingJson.Default.PublishAnswerMessage);
        }
        catch (Exception e) when (e is SfuNegotiationException or ArgumentException or FormatException)
        {
            SendError(ErrorCodes.NegotiationFailed, e.Message);
        }
    }

    /// <summary>SFU rooms: the client's answer to our latest offer of everyone else's tracks.</summary>
    private void OnSubscribeAnswer(SdpRequest? request)
    {
        if (RequirePeer("subscribe-answer") is not { } peer) return;
        if (request?.Sdp is not { Length: > 0 } sdp) { SendError(ErrorCodes.BadRequest, "subscribe-answer needs an \"sdp\" string."); return; }
        if (sdp.Length > MaxSdpLength) { SendError(ErrorCodes.BadRequest, "The session description is too long."); return; }
        try
        {
            peer.OnSubscribeAnswer(sdp);
        }
        catch (Exception e) when (e is SfuNegotiationException or ArgumentException or FormatException)
        {
            SendError(ErrorCodes.NegotiationFailed, e.Message);
        }
    }

    /// <summary>SFU rooms: chat goes through the server (mesh rooms chat over data channels).</summary>
    private void OnChat(ChatRequest? request)
    {
        if (!RequireJoined()) return;
        if (_room!.Router is null) { SendError(ErrorCodes.WrongMode, "In mesh rooms chat goes peer to peer."); return; }
        string? text = request?.Text;
        if (text is null || text.Length > MaxChatLength || string.IsNullOrWhiteSpace(text))
        {
            SendError(ErrorCodes.BadRequest, $"chat needs a \"text\" of 1 to {MaxChatLength} characters.");
            return;
        }
        _room.Chat(_self!, text);
    }

    private SfuPeer? RequirePeer(string type)
    {
        if (!RequireJoined()) return null;
        if (_self!.Peer is { } peer) return peer;
        SendError(ErrorCodes.WrongMode, $"{type} is for SFU rooms; this room is peer to peer.");
        return null;
    }

    private void OnLeave(bool quiet = false)
    {
        if (_room is null || _self is null)
        {
            if (!quiet) SendError(ErrorCodes.NotJoined, "You are not in a room.");
            return;
        }
        rooms.Leave(_room, _self);
        _room = null;
        _self = null;
    }

    private bool RequireJoined()
    {
        if (_self is not null) return true;
        SendError(ErrorCodes.NotJoined, "Join a room first.");
        return false;
    }

    private Participant? FindPeer(string id)
    {
        Participant? peer = id == _self!.Id ? null : _room!.Find(id);
        if (peer is null) SendError(ErrorCodes.UnknownParticipant, "No such participant in your room.");
        return peer;
    }

    // Every client sends ping every 5 s: the answer is always the same bytes (the send loop only reads them).
    private static readonly byte[] s_pong = JsonSerializer.SerializeToUtf8Bytes(new PongMessage(), SignalingJson.Default.PongMessage);

    private void Send<T>(T message, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        connection.TrySend(JsonSerializer.SerializeToUtf8Bytes(message, type));

    /// <summary>Reads the top-level string "type" of a JSON object; null when the shape is wrong.</summary>
    private static string? ReadType(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        string? type = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isType = reader.ValueTextEquals("type"u8);
            reader.Read();
            if (isType && reader.TokenType == JsonTokenType.String) type = KnownType(ref reader) ?? reader.GetString();
            else if (isType) return null;
            reader.Skip();
        }
        // Drain to the end so trailing garbage is reported as malformed JSON.
        while (reader.Read()) { }
        return type;
    }

    // The types the switch in OnMessage handles: read without allocating a string for each message
    // (every client pings every 5 s, thousands of messages a second on a busy server).
    private static readonly string[] s_knownTypes = ["ping", "chat", "media", "candidate", "offer", "answer", "join", "publish", "subscribe-answer", "leave"];
    private static readonly byte[][] s_knownTypesUtf8 = [.. s_knownTypes.Select(t => System.Text.Encoding.UTF8.GetBytes(t))];

    private static string? KnownType(ref Utf8JsonReader reader)
    {
        for (int i = 0; i < s_knownTypes.Length; i++)
        {
            if (reader.ValueTextEquals(s_knownTypesUtf8[i])) return s_knownTypes[i];
        }
        return null;
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "…";
}
