using System.Text.Json.Serialization;

namespace Huddle.Server.Signaling;

// Wire messages of docs/protocol.md. Inbound records are lenient shapes (every field nullable) that
// handlers validate; outbound records carry their own fixed `type` so they serialize in one call.

public sealed record MediaState(bool Audio, bool Video);

public sealed record IceCandidate(string? Candidate, string? SdpMid, int? SdpMLineIndex, string? UsernameFragment);

public sealed record IceServer(
    string[] Urls,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Username,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Credential);

public sealed record ParticipantInfo(string Id, string Name, MediaState Media);

// Client → server. Settable properties rather than constructor parameters: System.Text.Json then
// reads them without a per-message argument buffer (ArgumentState), which a server relaying thousands
// of messages a second would otherwise allocate for each.

internal sealed record JoinRequest
{
    public string? Room { get; init; }
    public string? Name { get; init; }
    public MediaState? Media { get; init; }
    public int? Protocol { get; init; }
}

internal sealed record DescriptionRequest
{
    public string? To { get; init; }
    public string? Sdp { get; init; }
}

internal sealed record CandidateRequest
{
    public string? To { get; init; }
    public IceCandidate? Candidate { get; init; }
}

internal sealed record MediaRequest
{
    public bool? Audio { get; init; }
    public bool? Video { get; init; }
}

/// <summary>SFU rooms: the client's offer for its publish connection, or its answer for the subscribe one.</summary>
internal sealed record SdpRequest
{
    public string? Sdp { get; init; }
}

/// <summary>SFU rooms: a chat message for everyone in the room, relayed by the server.</summary>
internal sealed record ChatRequest
{
    public string? Text { get; init; }
}

// Server → client.

internal sealed record JoinedMessage(
    int Protocol, string Id, string Room, string Mode, int Capacity,
    ParticipantInfo[] Participants, IceServer[] IceServers)
{
    [JsonPropertyOrder(-1)] public string Type => "joined";
}

internal sealed record ParticipantJoinedMessage(ParticipantInfo Participant)
{
    [JsonPropertyOrder(-1)] public string Type => "participant-joined";
}

internal sealed record ParticipantLeftMessage(string Id)
{
    [JsonPropertyOrder(-1)] public string Type => "participant-left";
}

internal sealed record DescriptionMessage([property: JsonPropertyOrder(-1)] string Type, string From, string Sdp);

internal sealed record CandidateMessage(string From, IceCandidate Candidate)
{
    [JsonPropertyOrder(-1)] public string Type => "candidate";
}

internal sealed record MediaMessage(string Id, bool Audio, bool Video)
{
    [JsonPropertyOrder(-1)] public string Type => "media";
}

/// <summary>The room moved between peer to peer (<c>mesh</c>) and the server (<c>sfu</c>).</summary>
internal sealed record ModeMessage(string Mode)
{
    [JsonPropertyOrder(-1)] public string Type => "mode";
}

internal sealed record PublishAnswerMessage(string Sdp)
{
    [JsonPropertyOrder(-1)] public string Type => "publish-answer";
}

internal sealed record SubscribeTrack(string Mid, string Participant, string Kind);

/// <summary><c>waiting</c>: participants some of whose tracks this person does not receive, for lack of sections.</summary>
internal sealed record SubscribeMessage(string Sdp, SubscribeTrack[] Tracks, string[] Waiting)
{
    [JsonPropertyOrder(-1)] public string Type => "subscribe";
}

internal sealed record ChatMessage(string From, string Name, string Text, long Ts)
{
    [JsonPropertyOrder(-1)] public string Type => "chat";
}

internal sealed record ChatHistoryMessage(ChatMessage[] Messages)
{
    [JsonPropertyOrder(-1)] public string Type => "chat-history";
}

internal sealed record ErrorMessage(string Code, string Message)
{
    [JsonPropertyOrder(-1)] public string Type => "error";
}

internal sealed record PongMessage
{
    [JsonPropertyOrder(-1)] public string Type => "pong";
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.Strict,
    AllowTrailingCommas = false,
    MaxDepth = 16)]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(DescriptionRequest))]
[JsonSerializable(typeof(CandidateRequest))]
[JsonSerializable(typeof(MediaRequest))]
[JsonSerializable(typeof(JoinedMessage))]
[JsonSerializable(typeof(ParticipantJoinedMessage))]
[JsonSerializable(typeof(ParticipantLeftMessage))]
[JsonSerializable(typeof(DescriptionMessage))]
[JsonSerializable(typeof(CandidateMessage))]
[JsonSerializable(typeof(MediaMessage))]
[JsonSerializable(typeof(ErrorMessage))]
[JsonSerializable(typeof(PongMessage))]
[JsonSerializable(typeof(SdpRequest))]
[JsonSerializable(typeof(ModeMessage))]
[JsonSerializable(typeof(ChatRequest))]
[JsonSerializable(typeof(PublishAnswerMessage))]
[JsonSerializable(typeof(SubscribeMessage))]
[JsonSerializable(typeof(ChatMessage))]
[JsonSerializable(typeof(ChatHistoryMessage))]
internal sealed partial class SignalingJson : JsonSerializerContext;

/// <summary>Machine-readable error codes of docs/protocol.md.</summary>
internal static class ErrorCodes
{
    public const string BadRequest = "bad-request";
    public const string UnknownType = "unknown-type";
    public const string TooLarge = "too-large";
    public const string RateLimited = "rate-limited";
    public const string NotJoined = "not-joined";
    public const string AlreadyJoined = "already-joined";
    public const string RoomFull = "room-full";
    public const string ServerFull = "server-full";
    public const string InvalidRoom = "invalid-room";
    public const string InvalidName = "invalid-name";
    public const string UnknownParticipant = "unknown-participant";
    public const string UnsupportedProtocol = "unsupported-protocol";
    public const string WrongMode = "wrong-mode";
    public const string NegotiationFailed = "negotiation-failed";
}
