using System.Net;
using Huddle.Media.Dtls;
using Huddle.Media.Ice;
using Huddle.Media.Stun;
using Huddle.Media.Transport;

namespace Huddle.Media.Tests;

/// <summary>
/// The client end as a peer that also checks and serves: it answers the other side's connectivity checks
/// (libnice/Janus takes our nomination only then) and can be the DTLS server (Janus answers an actpass
/// offer with <c>a=setup:active</c>).
/// </summary>
public sealed class WebRtcClientTests : IDisposable
{
    private readonly DtlsContext _a = new();
    private readonly DtlsContext _b = new();

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    [Fact]
    public void Ice_client_answers_the_peers_authentic_check_and_nothing_else()
    {
        var ours = IceCredentials.Generate();
        var theirs = IceCredentials.Generate();
        var client = new IceClient(ours, theirs.Ufrag, theirs.Password);
        // The peer checks us with our ufrag and password, as its own controlling agent would.
        var peer = new IceClient(theirs, ours.Ufrag, ours.Password);
        var check = new byte[StunConstants.MaxMessageLength];
        var response = new byte[StunConstants.MaxMessageLength];
        var from = new IPEndPoint(IPAddress.Loopback, 40000);

        int length = peer.WriteCheck(check);
        int answered = client.AnswerCheck(check.AsSpan(0, length), from, response);

        Assert.True(answered > 0);
        Assert.True(peer.HandleResponse(response.AsSpan(0, answered)));
        Assert.Equal(from, peer.MappedAddress);
        // A check for someone else, one with the wrong password, and a response are not answered.
        var stranger = new IceClient(theirs, "someone", ours.Password);
        Assert.Equal(0, client.AnswerCheck(check.AsSpan(0, stranger.WriteCheck(check)), from, response));
        var forger = new IceClient(theirs, ours.Ufrag, "not-the-password-at-all-xx");
        Assert.Equal(0, client.AnswerCheck(check.AsSpan(0, forger.WriteCheck(check)), from, response));
        Assert.Equal(0, client.AnswerCheck(response.AsSpan(0, answered), from, check));
    }

    [Fact]
    public async Task A_client_in_the_dtls_server_role_connects_to_a_client_in_the_client_role_and_media_flows_both_ways()
    {
        using var server = new WebRtcClient(_a, role: DtlsRole.Server);
        using var client = new WebRtcClient(_b);
        Assert.Equal(DtlsRole.Server, server.DtlsRole);
        var atServer = new List<byte[]>();
        var atClient = new List<byte[]>();
        server.RtpReceived += p => { lock (atServer) atServer.Add(p.ToArray()); };
        client.RtpReceived += p => { lock (atClient) atClient.Add(p.ToArray()); };

        // Both check each other; each answers the other's checks, so both ICE sides complete.
        await Task.WhenAll(
            server.ConnectAsync(client.LocalEndPoint, client.LocalIce.Ufrag, client.LocalIce.Password, client.LocalFingerprint),
            client.ConnectAsync(server.LocalEndPoint, server.LocalIce.Ufrag, server.LocalIce.Password, server.LocalFingerprint))
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(server.SrtpProfile, client.SrtpProfile);
        byte[] one = SrtpTests.RtpPacket(1, payload: 500);
        byte[] two = SrtpTests.RtpPacket(2, payload: 700);
        var buffer = new byte[2048];
        one.CopyTo(buffer, 0);
        Assert.True(server.SendRtp(buffer, one.Length));
        two.CopyTo(buffer, 0);
        Assert.True(client.SendRtp(buffer, two.Length));
        await IceTests.Eventually(() => { lock (atServer) lock (atClient) return atServer.Count == 1 && atClient.Count == 1; });
        Assert.Equal(Convert.ToHexString(one), Convert.ToHexString(atClient[0]));
        Assert.Equal(Convert.ToHexString(two), Convert.ToHexString(atServer[0]));
    }
}
