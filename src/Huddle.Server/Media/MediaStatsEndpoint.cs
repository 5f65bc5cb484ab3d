using System.Text.Json.Serialization;
using Huddle.Media.Udp;
using Huddle.Server.Configuration;
using Huddle.Server.Rooms;
using Huddle.Server.Signaling;
using Microsoft.Extensions.Options;

namespace Huddle.Server.Media;

/// <summary>
/// <c>GET /api/media/stats</c>: what the media port has carried since the server started — datagrams
/// and bytes in and out, drops by reason, and the histogram of per-packet forwarding latency (arrival
/// in the socket to send returning, µs), signaling messages in and out with each sent message's time
/// from queued to written, and the garbage collector's figures. Load tests read it before and after a run and subtract. Answers
/// requests from this machine only, unless <c>Huddle:RoomsApiFromAnywhere</c> is set.
/// </summary>
internal static class MediaStatsEndpoint
{
    public static IEndpointRouteBuilder MapMediaStats(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/media/stats", (HttpContext context, MediaHost media, SignalingStats signaling, IOptions<HuddleOptions> options) =>
        {
            if (!RoomsEndpoint.IsAllowed(context, options.Value)) return Results.StatusCode(StatusCodes.Status403Forbidden);
            UdpCounters c = media.Socket.Counters;
            var response = new MediaStatsResponse(
                Interlocked.Read(ref c.DatagramsReceived), Interlocked.Read(ref c.DatagramsSent),
                Interlocked.Read(ref c.BytesReceived), Interlocked.Read(ref c.BytesSent), Interlocked.Read(ref c.SegmentedSends),
                new DropCounts(Interlocked.Read(ref c.DroppedUnknownSender), Interlocked.Read(ref c.DroppedMalformed),
                    Interlocked.Read(ref c.DroppedSrtp), Interlocked.Read(ref c.DroppedUnknownSsrc),
                    Interlocked.Read(ref c.DroppedNotSendable), Interlocked.Read(ref c.SendErrors), Interlocked.Read(ref c.HandlerErrors)),
                LatencySummary.Of(media.Socket.ForwardingLatency.Snapshot()),
                new SignalingFigures(signaling.MessagesIn, signaling.MessagesOut, LatencySummary.Of(signaling.SendLatency.Snapshot())),
                GcFigures.Now());
            return Results.Json(response, MediaStatsJson.Default.MediaStatsResponse);
        });
        return endpoints;
    }
}

internal sealed record MediaStatsResponse(long DatagramsIn, long DatagramsOut, long BytesIn, long BytesOut, long SegmentedSends, DropCounts Drops, LatencySummary ForwardingLatencyUs,
    SignalingFigures Signaling, GcFigures Gc);

/// <summary>Signaling messages in and out since start, and each sent message's time from queued to written (<see cref="SignalingStats"/>).</summary>
internal sealed record SignalingFigures(long MessagesIn, long MessagesOut, LatencySummary SendLatencyUs);

/// <summary>
/// The process's garbage collector since it started: collections per generation, the time all threads
/// were paused for it (ms), the last collection's pause, the heap after it and all bytes ever allocated.
/// A latency tail that lines up with pauses is the collector's.
/// </summary>
internal sealed record GcFigures(int[] Collections, double PauseTotalMs, double LastPauseMs, long HeapBytes, long AllocatedBytes)
{
    public static GcFigures Now()
    {
        GCMemoryInfo last = GC.GetGCMemoryInfo(GCKind.Any);
        double lastPause = 0;
        foreach (TimeSpan pause in last.PauseDurations) lastPause += pause.TotalMilliseconds;
        return new GcFigures([GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)], GC.GetTotalPauseDuration().TotalMilliseconds,
            lastPause, last.HeapSizeBytes, GC.GetTotalAllocatedBytes(precise: true));
    }
}

internal sealed record DropCounts(long UnknownSender, long Malformed, long Srtp, long UnknownSsrc, long NotSendable, long SendErrors, long HandlerErrors);

/// <summary>Quantiles are bucket upper bounds (within 6.25 %); <c>Buckets</c> lists the non-empty ones.</summary>
internal sealed record LatencySummary(long Count, long P50, long P99, long P999, LatencyBucket[] Buckets)
{
    public static LatencySummary Of(long[] counts)
    {
        var buckets = new List<LatencyBucket>();
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] > 0) buckets.Add(new LatencyBucket(LatencyHistogram.LowerBound(i), LatencyHistogram.UpperBound(i), counts[i]));
        }
        return new LatencySummary(counts.Sum(), LatencyHistogram.Quantile(counts, 0.5), LatencyHistogram.Quantile(counts, 0.99),
            LatencyHistogram.Quantile(counts, 0.999), [.. buckets]);
    }
}

internal sealed record LatencyBucket(long From, long To, long Count);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MediaStatsResponse))]
internal sealed partial class MediaStatsJson : JsonSerializerContext;
