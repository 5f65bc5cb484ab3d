using System.Net;
using System.Text.Json.Serialization;
using Huddle.Server.Configuration;
using Huddle.Server.Signaling;
using Huddle.Sfu;
using Microsoft.Extensions.Options;

namespace Huddle.Server.Rooms;

/// <summary>
/// <c>GET /api/rooms</c>: every room with its mode and participants, and for SFU rooms each published track
/// with its codec, bitrate, packets and loss. It names people, so it answers only requests from this
/// machine unless <c>Huddle:RoomsApiFromAnywhere</c> is set.
/// </summary>
internal static class RoomsEndpoint
{
    public static IEndpointRouteBuilder MapRoomsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/rooms", (HttpContext context, RoomRegistry rooms, IOptions<HuddleOptions> options) =>
        {
            if (!IsAllowed(context, options.Value)) return Results.StatusCode(StatusCodes.Status403Forbidden);
            RoomInfo[] list = [.. rooms.All().OrderBy(r => r.Name, StringComparer.Ordinal).Select(Describe)];
            return Results.Json(new RoomsResponse(list), RoomsJson.Default.RoomsResponse);
        });
        return endpoints;
    }

    /// <summary>
    /// The operator APIs (<c>/api/rooms</c>, <c>/api/media/stats</c>) answer this machine only, unless
    /// <c>Huddle:RoomsApiFromAnywhere</c> opens them.
    /// </summary>
    internal static bool IsAllowed(HttpContext context, HuddleOptions options)
    {
        IPAddress? remote = context.Connection.RemoteIpAddress;
        return options.RoomsApiFromAnywhere || (remote is not null && IPAddress.IsLoopback(remote));
    }

    private static RoomInfo Describe(Room room)
    {
        Router? router = room.Router;
        ParticipantInfo[] members = room.Snapshot();
        return new RoomInfo(room.Name, room.Mode, room.Capacity, [.. members.Select(m =>
        {
            SfuPeer? peer = router?.Find(m.Id);
            TrackInfo[] tracks = peer is null ? [] : [.. peer.Producers.Select(p => new TrackInfo(
                p.Kind == MediaKind.Audio ? "audio" : "video",
                p.Kind == MediaKind.Audio ? "opus" : "VP8",
                p.Bitrate,
                p.Packets,
                p.Lost,
                p.Consumers.Count))];
            return new MemberInfo(m.Id, m.Name, m.Media.Audio, m.Media.Video, tracks);
        })]);
    }
}

internal sealed record RoomsResponse(RoomInfo[] Rooms);

internal sealed record RoomInfo(string Name, string Mode, int Capacity, MemberInfo[] Participants);

internal sealed record MemberInfo(string Id, string Name, bool Audio, bool Video, TrackInfo[] Tracks);

/// <summary>A published track as the server receives it: bits per second over the last second, packets, packets lost, subscribers.</summary>
internal sealed record TrackInfo(string Kind, string Codec, long Bitrate, long Packets, int Lost, int Subscribers);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RoomsResponse))]
internal sealed partial class RoomsJson : JsonSerializerContext;
