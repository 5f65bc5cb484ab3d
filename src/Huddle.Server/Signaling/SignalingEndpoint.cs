using Huddle.Server.Configuration;
using Huddle.Server.Rooms;
using Microsoft.Extensions.Options;

namespace Huddle.Server.Signaling;

/// <summary>Accepts signaling WebSockets at <c>/ws</c>.</summary>
internal static class SignalingEndpoint
{
    private static int s_open;

    public static IEndpointRouteBuilder MapSignaling(this IEndpointRouteBuilder endpoints)
    {
        endpoints.Map("/ws", AcceptAsync);
        return endpoints;
    }

    private static async Task AcceptAsync(HttpContext context, RoomRegistry rooms, SignalingStats stats, IOptions<HuddleOptions> options,
        ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            await context.Response.WriteAsync("This endpoint speaks WebSocket (see docs/protocol.md).");
            return;
        }
        if (!IsSameOrigin(context))
        {
            // Another site's page must not drive a visitor's browser into our rooms.
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }
        HuddleOptions settings = options.Value;
        if (Interlocked.Increment(ref s_open) > settings.MaxConnections)
        {
            Interlocked.Decrement(ref s_open);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = settings.PingInterval,
                KeepAliveTimeout = settings.PingTimeout,
            });
            var connection = new SignalingConnection(socket, settings, stats, loggers.CreateLogger<SignalingConnection>());
            var session = new SignalingSession(connection, rooms, settings);
            await connection.RunAsync(session, lifetime.ApplicationStopping);
        }
        finally
        {
            Interlocked.Decrement(ref s_open);
        }
    }

    internal static bool IsSameOrigin(HttpContext context)
    {
        string? origin = context.Request.Headers.Origin;
        if (string.IsNullOrEmpty(origin)) return true; // Not a browser: nothing to protect against.
        return Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri)
            && string.Equals(uri.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }
}
