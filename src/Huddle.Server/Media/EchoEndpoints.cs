using System.Text.Json;
using System.Text.Json.Serialization;
using Huddle.Server.Signaling;
using Microsoft.AspNetCore.Http.Features;

namespace Huddle.Server.Media;

/// <summary>
/// HTTP signaling for the media self-test, in the spirit of WHIP (RFC 9725): the page posts an SDP offer
/// and gets the answer back; a renegotiation posts a new offer to the session; DELETE ends it.
/// </summary>
internal static class EchoEndpoints
{
    /// <summary>An offer from Chromium with three tracks is under 10 KiB; the signaling limit applies here too.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapEcho(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/echo", (HttpContext context, EchoService echo) => HandleAsync(context, (offer) =>
        {
            var (session, answer) = echo.Create(offer);
            return (StatusCodes.Status201Created, new EchoResponse(session.Id, answer));
        }));
        endpoints.MapPost("/api/echo/{id}", (HttpContext context, string id, EchoService echo) => HandleAsync(context, (offer) =>
            (StatusCodes.Status200OK, new EchoResponse(id, echo.Renegotiate(id, offer)))));
        endpoints.MapDelete("/api/echo/{id}", (HttpContext context, string id, EchoService echo) =>
        {
            if (!SignalingEndpoint.IsSameOrigin(context)) return Results.StatusCode(StatusCodes.Status403Forbidden);
            return echo.Delete(id) ? Results.NoContent() : Results.NotFound();
        });
        return endpoints;
    }

    private static async Task<IResult> HandleAsync(HttpContext context, Func<string, (int Status, EchoResponse Body)> handle)
    {
        if (!SignalingEndpoint.IsSameOrigin(context)) return Error(StatusCodes.Status403Forbidden, "forbidden", "Requests from other sites are not accepted.");
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxBodyBytes;
        if (context.Request.ContentLength > MaxBodyBytes) return Error(StatusCodes.Status413PayloadTooLarge, "too-large", "The offer is too large.");
        EchoRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, EchoJson.Default.EchoRequest, context.RequestAborted);
        }
        catch (JsonException)
        {
            return Error(StatusCodes.Status400BadRequest, "bad-request", "Send JSON: {\"sdp\": \"<offer>\"}.");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, "too-large", "The offer is too large.");
        }
        if (request?.Sdp is not { Length: > 0 } offer) return Error(StatusCodes.Status400BadRequest, "bad-request", "The offer is missing.");
        try
        {
            var (status, body) = handle(offer);
            return Results.Json(body, EchoJson.Default.EchoResponse, statusCode: status);
        }
        catch (EchoException e)
        {
            return Error(e.Status, e.Code, e.Message);
        }
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new EchoError(code, message), EchoJson.Default.EchoError, statusCode: status);
}

internal sealed record EchoRequest(string? Sdp);

internal sealed record EchoResponse(string Id, string Sdp);

internal sealed record EchoError(string Code, string Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(EchoRequest))]
[JsonSerializable(typeof(EchoResponse))]
[JsonSerializable(typeof(EchoError))]
internal sealed partial class EchoJson : JsonSerializerContext;
