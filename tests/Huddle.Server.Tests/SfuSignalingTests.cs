using System.Text.Json.Nodes;
using Huddle.Media.Dtls;
using Huddle.Server.Tests.Rig;

namespace Huddle.Server.Tests;

/// <summary>SFU rooms at the protocol level, with bots made of our own WebRTC stack.</summary>
public sealed class SfuSignalingTests
{
    [Fact]
    public async Task Media_reaches_everyone_in_the_room_and_nobody_in_another_room()
    {
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu");
        await server.InitializeAsync();
        using var dtls = new DtlsContext();
        string roomA = RoomNames.Unique("iso-a"), roomB = RoomNames.Unique("iso-b");
        var bots = new List<SfuBot>();
        try
        {
            foreach (var (room, name) in new[] { (roomA, "a1"), (roomA, "a2"), (roomA, "a3"), (roomB, "b1"), (roomB, "b2") })
                bots.Add(await SfuBot.JoinAsync(server, dtls, room, name));
            foreach (SfuBot bot in bots) await bot.PublishAsync();

            // Subscriptions settle, then everyone sends; keep sending until every expected stream arrived.
            await SendUntil(() => bots.All(bot => bots.Where(o => o != bot && SameRoom(o, bot)).All(o => bot.ReceivedFrom.GetValueOrDefault(o.Name) >= 20)),
                TimeSpan.FromSeconds(20), packets: 5, bots);

            foreach (SfuBot bot in bots)
            {
                Assert.Empty(bot.Errors);
                foreach (SfuBot other in bots.Where(o => o != bot))
                {
                    int received = bot.ReceivedFrom.GetValueOrDefault(other.Name);
                    if (SameRoom(other, bot)) Assert.True(received >= 20, $"{bot.Name} got {received} packets from {other.Name}");
                    else Assert.Equal(0, received);
                }
                Assert.False(bot.ReceivedFrom.ContainsKey(bot.Name), $"{bot.Name} got its own media back");
            }
        }
        finally
        {
            foreach (SfuBot bot in bots) await bot.DisposeAsync();
        }

        static bool SameRoom(SfuBot a, SfuBot b) => a.Name[0] == b.Name[0];
    }

    [Fact]
    public async Task A_room_of_34_publishers_carries_everyones_audio_and_video_to_everyone()
    {
        // 33 others publishing audio and video are 66 sections in each subscribe description: more than
        // the 64 that used to be the limit, when the 33rd publisher broke everyone's negotiation.
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu");
        await server.InitializeAsync();
        using var dtls = new DtlsContext();
        string room = RoomNames.Unique("big");
        var bots = new List<SfuBot>();
        try
        {
            for (int i = 0; i < 34; i++) bots.Add(await SfuBot.JoinAsync(server, dtls, room, $"p{i:00}"));
            foreach (SfuBot bot in bots) await bot.PublishAsync();

            await SendUntil(() => bots.All(bot => bots.Where(o => o != bot).All(o => bot.ReceivedFrom.GetValueOrDefault(o.Name) >= 4)),
                TimeSpan.FromSeconds(60), packets: 1, bots);

            foreach (SfuBot bot in bots)
            {
                Assert.Empty(bot.Errors);
                foreach (SfuBot other in bots.Where(o => o != bot))
                {
                    int received = bot.ReceivedFrom.GetValueOrDefault(other.Name);
                    Assert.True(received >= 4, $"{bot.Name} got {received} packets from {other.Name}");
                }
            }
            Assert.Equal(66, bots[0].SubscribeOfferSections.Last());
        }
        finally
        {
            foreach (SfuBot bot in bots) await bot.DisposeAsync();
        }
    }

    [Fact]
    public async Task Tracks_past_the_per_subscriber_limit_wait_for_a_free_section_and_then_arrive()
    {
        // Room for two people's audio and video in each subscriber's description.
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu", "--Huddle:SfuMaxTracksPerSubscriber=4");
        await server.InitializeAsync();
        using var dtls = new DtlsContext();
        string room = RoomNames.Unique("cap");
        await using SfuBot host = await SfuBot.JoinAsync(server, dtls, room, "host");
        await using SfuBot ann = await SfuBot.JoinAsync(server, dtls, room, "ann");
        await using SfuBot ben = await SfuBot.JoinAsync(server, dtls, room, "ben");
        await host.PublishAsync();
        await ann.PublishAsync();
        await ben.PublishAsync();
        await using SfuBot cat = await SfuBot.JoinAsync(server, dtls, room, "cat");
        await cat.PublishAsync();

        // The host receives the first two (its four sections), not cat; cat, a newcomer, receives three
        // people's tracks up to its own limit of four: two of them.
        await SendUntil(() => host.ReceivedFrom.GetValueOrDefault("ann") >= 10 && host.ReceivedFrom.GetValueOrDefault("ben") >= 10, Wait, packets: 2, ann, ben, cat);
        Assert.True(host.ReceivedFrom.GetValueOrDefault("ann") >= 10, "the host does not receive ann");
        Assert.True(host.ReceivedFrom.GetValueOrDefault("ben") >= 10, "the host does not receive ben");
        Assert.Equal(0, host.ReceivedFrom.GetValueOrDefault("cat"));
        Assert.Equal(4, host.SubscribeOfferSections.Max());
        await SendUntil(() => cat.ReceivedFrom.Count >= 2, Wait, packets: 2, host, ann, ben);
        Assert.Equal(2, cat.ReceivedFrom.Count);

        // Ann leaves: her sections free up and cat's tracks take them, for the host and for cat.
        string catMissed = new[] { "host", "ann", "ben" }.Single(n => !cat.ReceivedFrom.ContainsKey(n));
        await ann.Signal.CloseAsync();
        await SendUntil(() => host.ReceivedFrom.GetValueOrDefault("cat") >= 10 && (catMissed == "ann" || cat.ReceivedFrom.GetValueOrDefault(catMissed) >= 10), Wait, packets: 2, cat, host, ben);
        Assert.True(host.ReceivedFrom.GetValueOrDefault("cat") >= 10, $"the host got {host.ReceivedFrom.GetValueOrDefault("cat")} packets from cat after ann left");
        if (catMissed != "ann") Assert.True(cat.ReceivedFrom.GetValueOrDefault(catMissed) >= 10, $"cat does not receive {catMissed} after ann left");
        Assert.Equal(4, host.SubscribeOfferSections.Max());
        Assert.Empty(host.Errors);
        Assert.Empty(cat.Errors);
    }

    [Fact]
    public async Task Sfu_messages_are_refused_in_mesh_rooms_and_bad_descriptions_get_an_error()
    {
        await using var mesh = HuddleServer.With();
        await mesh.InitializeAsync();
        await using TestClient m = await mesh.JoinAsync(RoomNames.Unique("mesh"), "m");
        await m.SendAsync(new { type = "publish", sdp = "v=0" });
        await m.ExpectErrorAsync("wrong-mode");
        await m.SendAsync(new { type = "chat", text = "hi" });
        await m.ExpectErrorAsync("wrong-mode");

        await using var sfu = HuddleServer.With("--Huddle:RoomMode=sfu");
        await sfu.InitializeAsync();
        await using TestClient s = await sfu.JoinAsync(RoomNames.Unique("sfu"), "s");
        Assert.Equal("sfu", (string?)s.Joined!["mode"]);
        await s.SendAsync(new { type = "publish", sdp = "not sdp at all" });
        await s.ExpectErrorAsync("negotiation-failed");
        await s.SendAsync(new { type = "publish" });
        await s.ExpectErrorAsync("bad-request");
        await s.SendAsync(new { type = "subscribe-answer", sdp = "v=0\r\n" });
        await s.ExpectErrorAsync("negotiation-failed");
        await s.SendAsync(new { type = "chat", text = new string('x', 2001) });
        await s.ExpectErrorAsync("bad-request");
        await s.SendAsync(new { type = "chat", text = "   " });
        await s.ExpectErrorAsync("bad-request");
        // Still in the room and working.
        await s.SendAsync(new { type = "ping" });
        await s.ExpectAsync("pong");
    }

    [Fact]
    public async Task Chat_in_an_sfu_room_reaches_the_others_and_late_joiners_get_recent_history()
    {
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu", "--Huddle:ChatHistory=2");
        await server.InitializeAsync();
        string room = RoomNames.Unique("chat");
        await using TestClient alice = await server.JoinAsync(room, "Alice");
        await using TestClient bob = await server.JoinAsync(room, "Bob");
        await alice.ExpectAsync("participant-joined");
        foreach (string text in new[] { "one", "two", "three" }) await alice.SendAsync(new { type = "chat", text });
        foreach (string text in new[] { "one", "two", "three" })
        {
            var chat = await bob.ExpectAsync("chat");
            Assert.Equal(text, (string?)chat["text"]);
            Assert.Equal("Alice", (string?)chat["name"]);
            Assert.Equal(alice.Id, (string?)chat["from"]);
        }
        await alice.ExpectNothingAsync(TimeSpan.FromMilliseconds(300)); // not echoed to the sender

        await using TestClient carol = await server.JoinAsync(room, "Carol");
        var history = await carol.ExpectAsync("chat-history");
        string[] texts = [.. history["messages"]!.AsArray().Select(m => (string)m!["text"]!)];
        Assert.Equal(["two", "three"], texts);
    }

    [Fact]
    public async Task The_stats_count_signaling_messages_and_time_each_one_sent()
    {
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu");
        await server.InitializeAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        string room = RoomNames.Unique("stats");
        await using TestClient alice = await server.JoinAsync(room, "Alice");
        await using TestClient bob = await server.JoinAsync(room, "Bob");
        await alice.ExpectAsync("participant-joined");
        JsonNode before = JsonNode.Parse(await http.GetStringAsync("/api/media/stats"))!["signaling"]!;

        foreach (string text in new[] { "one", "two", "three", "four" }) await alice.SendAsync(new { type = "chat", text });
        for (int i = 0; i < 4; i++) await bob.ExpectAsync("chat");
        JsonNode after = JsonNode.Parse(await http.GetStringAsync("/api/media/stats"))!["signaling"]!;

        long Delta(string name) => (long)after[name]! - (long)before[name]!;
        Assert.Equal(4, Delta("messagesIn"));
        Assert.Equal(4, Delta("messagesOut")); // to Bob; the sender gets no echo
        JsonNode latency = after["sendLatencyUs"]!;
        Assert.Equal((long)after["messagesOut"]!, (long)latency["count"]!); // every message sent was timed
        Assert.Equal((long)latency["count"]!, latency["buckets"]!.AsArray().Sum(b => (long)b!["count"]!));
        Assert.True((long)latency["p50"]! <= (long)latency["p99"]!);
    }

    private static async Task<(SfuBot Publisher, SfuBot Subscriber)> PairAsync(HuddleServer server, DtlsContext dtls)
    {
        string room = RoomNames.Unique("pair");
        SfuBot publisher = await SfuBot.JoinAsync(server, dtls, room, "pub");
        SfuBot subscriber = await SfuBot.JoinAsync(server, dtls, room, "sub");
        await publisher.PublishAsync();
        await subscriber.PublishAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (subscriber.ReceivedFrom.GetValueOrDefault("pub") < 10 && DateTime.UtcNow < deadline)
        {
            publisher.SendMedia(2);
            await Task.Delay(20);
        }
        Assert.True(subscriber.ReceivedFrom.GetValueOrDefault("pub") >= 10, "media did not start flowing");
        return (publisher, subscriber);
    }

    [Fact]
    public async Task A_subscribers_nack_is_answered_from_the_servers_packet_cache()
    {
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu");
        await server.InitializeAsync();
        using var dtls = new DtlsContext();
        var (publisher, subscriber) = await PairAsync(server, dtls);
        await using (publisher)
        await using (subscriber)
        {
            // The network loses one video packet on its way to the subscriber, which NACKs it; the server
            // sends it again from its cache. (A copy of a packet that did arrive would be an SRTP replay.)
            var first = subscriber.Received.First(r => r.Sender == "pub" && r.Kind == 'v');
            ushort lost = (ushort)(first.Seq + 30);
            subscriber.DropIncoming = (ssrc, seq) => ssrc == first.Ssrc && seq == lost;
            bool Arrived() => subscriber.Received.Any(r => r.Ssrc == first.Ssrc && r.Seq == lost);
            bool Passed() => subscriber.Received.Any(r => r.Ssrc == first.Ssrc && (ushort)(r.Seq - lost) is > 0 and < 1000);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (!Passed() && DateTime.UtcNow < deadline)
            {
                publisher.SendMedia(2);
                await Task.Delay(10);
            }
            Assert.True(Passed(), "video did not keep flowing");
            Assert.False(Arrived());

            subscriber.DropIncoming = null;
            var nack = new byte[16];
            Assert.True(Huddle.Sfu.NackGenerator.TryWriteNack(nack, 0x1234, first.Ssrc, [lost], out int written));
            deadline = DateTime.UtcNow.AddSeconds(5);
            while (!Arrived() && DateTime.UtcNow < deadline)
            {
                subscriber.SendSubscribeRtcp(nack.AsSpan(0, written));
                await Task.Delay(100);
            }
            Assert.True(Arrived(), "the NACKed video packet was not sent again");
        }
    }

    [Fact]
    public async Task A_consumer_switched_to_another_publisher_continues_its_numbers_from_that_publishers_key_frame()
    {
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu");
        await server.InitializeAsync();
        using var dtls = new DtlsContext();
        string room = RoomNames.Unique("switch");
        await using SfuBot ana = await SfuBot.JoinAsync(server, dtls, room, "ana");
        await using SfuBot ben = await SfuBot.JoinAsync(server, dtls, room, "ben");
        await using SfuBot sub = await SfuBot.JoinAsync(server, dtls, room, "sub");
        await ana.PublishAsync();
        await ben.PublishAsync();
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while ((sub.ReceivedFrom.GetValueOrDefault("ana") < 10 || sub.ReceivedFrom.GetValueOrDefault("ben") < 10) && DateTime.UtcNow < deadline)
        {
            ana.SendMedia(2);
            ben.SendMedia(2);
            await Task.Delay(20);
        }
        Assert.True(sub.ReceivedFrom.GetValueOrDefault("ben") >= 10, "media did not start flowing");

        // The stream sub receives ana's video on is switched to ben's video (what speaker switching will do).
        Huddle.Sfu.Router router = server.Rooms.Find(room)!.Router!;
        Huddle.Sfu.Consumer consumer = router.Find(sub.Id)!.Consumers.Single(c => c.Kind == Huddle.Sfu.MediaKind.Video && c.Producer.Owner.Id == ana.Id);
        Huddle.Sfu.Producer benVideo = router.Find(ben.Id)!.Producers.Single(p => p.Kind == Huddle.Sfu.MediaKind.Video);
        int plisBefore = ben.PublishRtcp.Count(IsPli);
        consumer.SwitchSource(benVideo);
        Assert.Same(benVideo, consumer.PendingSource);
        deadline = DateTime.UtcNow.AddSeconds(5);
        while (ben.PublishRtcp.Count(IsPli) == plisBefore && DateTime.UtcNow < deadline)
        {
            // Delta frames, as a camera keeps sending (a request within 300 ms of the last goes out with them).
            ben.SendVideo(1);
            await Task.Delay(20);
        }
        Assert.True(ben.PublishRtcp.Count(IsPli) > plisBefore, "the new source was not asked for a key frame");

        // Until ben's key frame the stream still carries ana; ben's delta frames are not forwarded on it.
        ana.SendVideo(5);
        ben.SendVideo(5);
        await Task.Delay(300);
        ben.SendVideo(5, keyFrame: true);
        ana.SendVideo(5);
        deadline = DateTime.UtcNow.AddSeconds(5);
        while (sub.Received.Count(r => r.Ssrc == consumer.Ssrc && r.Sender == "ben") < 5 && DateTime.UtcNow < deadline) await Task.Delay(20);

        var stream = sub.Received.Where(r => r.Ssrc == consumer.Ssrc).ToList();
        int firstBen = stream.FindIndex(r => r.Sender == "ben");
        Assert.True(firstBen > 0, "ben never appeared on the switched stream");
        Assert.Equal('k', stream[firstBen].Kind);
        Assert.All(stream.Take(firstBen), r => Assert.Equal("ana", r.Sender));
        Assert.All(stream.Skip(firstBen), r => Assert.Equal("ben", r.Sender));
        Assert.Equal(5, stream.Count(r => r.Sender == "ben"));
        Assert.Same(benVideo, consumer.Producer);
        Assert.Null(consumer.PendingSource);
        // One continuous stream for the subscriber: every number follows the one before, across the switch.
        var seqs = stream.Select(r => r.Seq).ToList();
        for (int i = 1; i < seqs.Count; i++) Assert.Equal((ushort)(seqs[i - 1] + 1), seqs[i]);

        // A packet after the switch lost on the way is NACKed with its output number and comes back as
        // ben's packet under that same number, from the cache of the new source.
        ushort lost = (ushort)(seqs[^1] + 2);
        sub.DropIncoming = (ssrc, seq) => ssrc == consumer.Ssrc && seq == lost;
        ben.SendVideo(4);
        deadline = DateTime.UtcNow.AddSeconds(5);
        while (!sub.Received.Any(r => r.Ssrc == consumer.Ssrc && r.Seq == (ushort)(lost + 2)) && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.DoesNotContain(sub.Received, r => r.Ssrc == consumer.Ssrc && r.Seq == lost);
        sub.DropIncoming = null;
        var nack = new byte[16];
        Assert.True(Huddle.Sfu.NackGenerator.TryWriteNack(nack, 0x1234, consumer.Ssrc, [lost], out int written));
        deadline = DateTime.UtcNow.AddSeconds(5);
        while (!sub.Received.Any(r => r.Ssrc == consumer.Ssrc && r.Seq == lost) && DateTime.UtcNow < deadline)
        {
            sub.SendSubscribeRtcp(nack.AsSpan(0, written));
            await Task.Delay(100);
        }
        Assert.Equal("ben", sub.Received.Single(r => r.Ssrc == consumer.Ssrc && r.Seq == lost).Sender);
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    /// <summary>Every sender sends <paramref name="packets"/> per track every 20–50 ms until <paramref name="done"/> or the time is up.</summary>
    private static async Task SendUntil(Func<bool> done, TimeSpan timeout, int packets, params IReadOnlyList<SfuBot> senders)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!done() && DateTime.UtcNow < deadline)
        {
            foreach (SfuBot sender in senders) sender.SendMedia(packets);
            await Task.Delay(senders.Count > 10 ? 50 : 20);
        }
    }

    private static bool IsPli(byte[] rtcp) => rtcp.Length >= 12 && rtcp[1] == 206 && (rtcp[0] & 0x1F) == 1;

    [Fact]
    public async Task Sections_of_people_who_left_are_reused_so_the_description_does_not_grow_with_each_visit()
    {
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu");
        await server.InitializeAsync();
        using var dtls = new DtlsContext();
        string room = RoomNames.Unique("visits");
        await using SfuBot host = await SfuBot.JoinAsync(server, dtls, room, "host");
        await host.PublishAsync();
        for (int visit = 1; visit <= 4; visit++)
        {
            await using SfuBot visitor = await SfuBot.JoinAsync(server, dtls, room, $"visitor{visit}");
            await visitor.PublishAsync();
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while (host.ReceivedFrom.GetValueOrDefault(visitor.Name) == 0 && DateTime.UtcNow < deadline)
            {
                visitor.SendMedia(2);
                await Task.Delay(20);
            }
            Assert.True(host.ReceivedFrom.GetValueOrDefault(visitor.Name) > 0, $"the host does not receive visitor {visit}");
            await visitor.Signal.CloseAsync();
            // The host is told: its next offer carries the visitor's sections as inactive.
            int offers = host.SubscribeOfferSections.Count;
            deadline = DateTime.UtcNow.AddSeconds(10);
            while (host.SubscribeOfferSections.Count == offers && DateTime.UtcNow < deadline) await Task.Delay(20);
            // The SRTP state of the streams the host received from the visitor is gone with them (it is
            // dropped on the media thread before the next datagram: the host's own media keeps it coming).
            var hostPeer = server.Rooms.All().Single(r => r.Name == room).Router!.Find(host.Id)!;
            deadline = DateTime.UtcNow.AddSeconds(10);
            while (hostPeer.SubscribeTransport.SendStreamCount != (0, 0) && DateTime.UtcNow < deadline)
            {
                host.SendMedia(1);
                await Task.Delay(20);
            }
            Assert.Equal((0, 0), hostPeer.SubscribeTransport.SendStreamCount);
        }
        // Every visitor published audio and video; four visits later the host's offers still have two sections.
        Assert.True(host.SubscribeOfferSections.Count >= 8, $"the host answered {host.SubscribeOfferSections.Count} offers");
        Assert.Equal(2, host.SubscribeOfferSections.Max());
        Assert.Empty(host.Errors);
    }

    [Fact]
    public async Task The_server_nacks_a_publishers_lost_packet_and_sends_reports_both_ways()
    {
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu");
        await server.InitializeAsync();
        using var dtls = new DtlsContext();
        var (publisher, subscriber) = await PairAsync(server, dtls);
        await using (publisher)
        await using (subscriber)
        {
            // The next few video packets: one goes missing.
            publisher.DropVideo.Add((ushort)(publisher.NextVideoSequence + 4));
            ushort lost = publisher.DropVideo.First();
            bool nacked = false, reported = false, senderReport = false;
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (!(nacked && reported && senderReport) && DateTime.UtcNow < deadline)
            {
                publisher.SendMedia(2);
                await Task.Delay(20);
                foreach (byte[] rtcp in publisher.PublishRtcp)
                {
                    foreach (Huddle.Media.Rtcp.RtcpPacket p in new Huddle.Media.Rtcp.RtcpCompoundPacket(rtcp))
                    {
                        if (Huddle.Media.Rtcp.GenericNack.TryParse(p.Bytes, out var nack) && nack.MediaSsrc == publisher.VideoSsrc)
                        {
                            foreach (ushort seq in nack.LostSequenceNumbers) nacked |= seq == lost;
                        }
                        if (Huddle.Media.Rtcp.ReceiverReport.TryParse(p.Bytes, out var rr))
                        {
                            foreach (var block in rr.Reports) reported |= block.Ssrc == publisher.VideoSsrc || block.Ssrc == publisher.AudioSsrc;
                        }
                    }
                }
                foreach (byte[] rtcp in subscriber.SubscribeRtcp)
                {
                    foreach (Huddle.Media.Rtcp.RtcpPacket p in new Huddle.Media.Rtcp.RtcpCompoundPacket(rtcp))
                    {
                        if (!Huddle.Media.Rtcp.SenderReport.TryParse(p.Bytes, out var sr)) continue;
                        uint ssrc = sr.Ssrc;
                        senderReport |= subscriber.Received.Any(r => r.Ssrc == ssrc);
                    }
                }
            }
            Assert.True(nacked, "the server did not NACK the missing packet");
            Assert.True(reported, "the server sent the publisher no receiver report");
            Assert.True(senderReport, "the server sent the subscriber no sender report for a stream it receives");
        }
    }

    [Fact]
    public async Task An_auto_room_moves_to_the_sfu_when_a_fourth_joins_and_back_when_two_are_left()
    {
        // No RoomMode argument but the rig's: auto is what the server does by default.
        Assert.Equal("auto", new Huddle.Server.Configuration.HuddleOptions().RoomMode);
        await using var server = HuddleServer.With("--Huddle:RoomMode=auto");
        await server.InitializeAsync();
        string room = RoomNames.Unique("auto");
        var first = new List<TestClient>();
        for (int i = 0; i < 3; i++)
        {
            TestClient c = await server.JoinAsync(room, $"p{i}");
            Assert.Equal("mesh", (string?)c.Joined!["mode"]);
            first.Add(c);
        }
        for (int i = 0; i < 3; i++)
        {
            for (int j = i + 1; j < 3; j++) await first[i].ExpectAsync("participant-joined");
        }

        await using TestClient fourth = await server.JoinAsync(room, "p3");
        Assert.Equal("sfu", (string?)fourth.Joined!["mode"]);
        Assert.Equal(3, fourth.Joined!["participants"]!.AsArray().Count);
        foreach (TestClient c in first)
        {
            // The switch comes before the newcomer is announced, with the same ids: nobody rejoins.
            Assert.Equal("sfu", (string?)(await c.ExpectAsync("mode"))["mode"]);
            Assert.Equal(fourth.Id, (string?)(await c.ExpectAsync("participant-joined"))["participant"]!["id"]);
        }

        await fourth.CloseAsync();
        await first[2].CloseAsync();
        for (int i = 0; i < 2; i++)
        {
            await first[i].ExpectAsync("participant-left");
            // Three are left: still the SFU (no flapping between 3 and 4).
            await first[i].ExpectAsync("participant-left");
            Assert.Equal("mesh", (string?)(await first[i].ExpectAsync("mode"))["mode"]);
        }
        foreach (TestClient c in first) await c.DisposeAsync();
    }

    [Fact]
    public async Task The_server_wide_sfu_limit_refuses_joins_and_keeps_auto_rooms_peer_to_peer_until_seats_free_up()
    {
        // Five seats on the SFU for the whole server; rooms of up to 4 people are meshes.
        await using var server = HuddleServer.With("--Huddle:RoomMode=auto", "--Huddle:SfuServerCapacity=5", "--Huddle:MeshCapacity=4");
        await server.InitializeAsync();
        var everyone = new List<TestClient>();
        try
        {
            // Room A grows to 4: it moves to the SFU and takes 4 seats.
            string a = RoomNames.Unique("a");
            for (int i = 0; i < 4; i++) everyone.Add(await server.JoinAsync(a, $"a{i}"));
            Assert.Equal("sfu", (string?)everyone[3].Joined!["mode"]);

            // Room B grows to 4 too, but 4 more seats are not there: it stays peer to peer.
            string b = RoomNames.Unique("b");
            var roomB = new List<TestClient>();
            for (int i = 0; i < 4; i++) roomB.Add(await server.JoinAsync(b, $"b{i}"));
            everyone.AddRange(roomB);
            Assert.Equal("mesh", (string?)roomB[3].Joined!["mode"]);
            // A fifth in B fits neither a mesh nor the SFU: refused with its own code, B's people undisturbed.
            await using (TestClient fifth = await server.ConnectAsync())
            {
                await fifth.SendAsync(new { type = "join", protocol = 1, room = b, name = "b4", media = new { audio = true, video = true } });
                JsonObject error = await fifth.ExpectErrorAsync("server-full");
                Assert.Contains("as many people as it can", (string?)error["message"]);
            }
            // The last SFU seat goes to a fifth person in A; a sixth in A is refused.
            everyone.Add(await server.JoinAsync(a, "a4"));
            await using (TestClient sixth = await server.ConnectAsync())
            {
                await sixth.SendAsync(new { type = "join", protocol = 1, room = a, name = "a5", media = new { audio = true, video = true } });
                await sixth.ExpectErrorAsync("server-full");
            }
            Assert.Equal((5, 5), server.Rooms.SfuSeats);

            // Two leave room A (3 left, still on the SFU): their two seats come back.
            await everyone[0].CloseAsync();
            await everyone[1].CloseAsync();
            await WaitUntilAsync(() => server.Rooms.SfuSeats.Used == 3);
            // A leaves down to 2 and goes back to peer to peer: its seats all come back.
            await everyone[2].CloseAsync();
            await WaitUntilAsync(() => server.Rooms.SfuSeats.Used == 0);
            // Now B's fifth moves B (5 people) to the SFU.
            TestClient b4 = await server.JoinAsync(b, "b4");
            everyone.Add(b4);
            Assert.Equal("sfu", (string?)b4.Joined!["mode"]);
            foreach (TestClient c in roomB) Assert.Equal("sfu", (string?)(await SkipToAsync(c, "mode"))["mode"]);
            Assert.Equal(5, server.Rooms.SfuSeats.Used);
        }
        finally
        {
            foreach (TestClient c in everyone) await c.DisposeAsync();
        }
    }

    /// <summary>The next message of a type, passing over others (joins and leaves of the room).</summary>
    private static async Task<JsonObject> SkipToAsync(TestClient client, string type)
    {
        while (true)
        {
            JsonObject message = await client.NextAsync();
            if ((string?)message["type"] == type) return message;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true within 10 s");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task The_rooms_api_lists_rooms_modes_people_and_their_tracks_with_figures()
    {
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu");
        await server.InitializeAsync();
        using var dtls = new DtlsContext();
        var (publisher, subscriber) = await PairAsync(server, dtls);
        await using (publisher)
        await using (subscriber)
        {
            using var http = new HttpClient { BaseAddress = server.BaseUri };
            System.Text.Json.Nodes.JsonNode? pub = null;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                publisher.SendMedia(5);
                var body = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/api/rooms"))!;
                var room = body["rooms"]!.AsArray().Single();
                Assert.Equal("sfu", (string?)room!["mode"]);
                Assert.Equal(2, room["participants"]!.AsArray().Count);
                pub = room["participants"]!.AsArray().Single(p => (string?)p!["name"] == "pub");
                if (pub!["tracks"]!.AsArray().Any(t => (long)t!["packets"]! > 0 && (long)t["bitrate"]! > 0)) break;
                await Task.Delay(100);
            }
            var video = pub!["tracks"]!.AsArray().Single(t => (string?)t!["kind"] == "video")!;
            Assert.Equal("VP8", (string?)video["codec"]);
            Assert.True((long)video["packets"]! > 0);
            Assert.True((long)video["bitrate"]! > 0);
            Assert.Equal(1, (int)video["subscribers"]!);
        }
    }

    [Fact]
    public async Task The_media_stats_api_counts_forwarded_packets_drops_and_their_forwarding_latency()
    {
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu");
        await server.InitializeAsync();
        using var dtls = new DtlsContext();
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        var (publisher, subscriber) = await PairAsync(server, dtls);
        await using (publisher)
        await using (subscriber)
        {
            await Task.Delay(200); // the pairing's own packets are through
            int start = subscriber.Received.Count(r => r.Sender == "pub");
            JsonNode before = JsonNode.Parse(await http.GetStringAsync("/api/media/stats"))!;
            // 200 packets (100 audio, 100 video) to one subscriber: 200 forwarded copies.
            publisher.SendMedia(100);
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while (subscriber.Received.Count(r => r.Sender == "pub") < start + 200 && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.Equal(start + 200, subscriber.Received.Count(r => r.Sender == "pub"));
            JsonNode after = JsonNode.Parse(await http.GetStringAsync("/api/media/stats"))!;

            long Delta(string name) => (long)after[name]! - (long)before[name]!;
            Assert.True(Delta("datagramsIn") >= 200, $"datagrams in: {Delta("datagramsIn")}");
            Assert.True(Delta("datagramsOut") >= 200, $"datagrams out: {Delta("datagramsOut")}");
            Assert.True(Delta("bytesIn") >= 200 * 100 && Delta("bytesOut") >= 200 * 100, "bytes are counted both ways");
            JsonNode latency = after["forwardingLatencyUs"]!;
            long forwarded = (long)latency["count"]! - (long)before["forwardingLatencyUs"]!["count"]!;
            Assert.True(forwarded >= 200, $"forwarding latency recorded for {forwarded} packets");
            long p50 = (long)latency["p50"]!, p99 = (long)latency["p99"]!;
            Assert.True(p50 > 0 && p50 <= p99, $"p50 {p50} µs, p99 {p99} µs");
            Assert.Equal((long)latency["count"]!, latency["buckets"]!.AsArray().Sum(b => (long)b!["count"]!));

            // A packet for an SSRC nobody published is dropped and counted under its reason.
            long unknownBefore = (long)after["drops"]!["unknownSsrc"]!;
            publisher.SendRaw(ssrc: 0x0BADF00D, count: 3);
            deadline = DateTime.UtcNow.AddSeconds(10);
            long unknown = unknownBefore;
            while (unknown < unknownBefore + 3 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
                unknown = (long)JsonNode.Parse(await http.GetStringAsync("/api/media/stats"))!["drops"]!["unknownSsrc"]!;
            }
            Assert.Equal(unknownBefore + 3, unknown);

            // The garbage collector's figures are the process's (the server runs in this test's process).
            JsonNode gcBefore = JsonNode.Parse(await http.GetStringAsync("/api/media/stats"))!["gc"]!;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            JsonNode gcAfter = JsonNode.Parse(await http.GetStringAsync("/api/media/stats"))!["gc"]!;
            int[] collectionsBefore = [.. gcBefore["collections"]!.AsArray().Select(c => (int)c!)];
            int[] collectionsAfter = [.. gcAfter["collections"]!.AsArray().Select(c => (int)c!)];
            Assert.Equal(3, collectionsAfter.Length);
            Assert.True(collectionsAfter[2] > collectionsBefore[2], $"gen2 collections {collectionsBefore[2]} → {collectionsAfter[2]}");
            Assert.True((double)gcAfter["pauseTotalMs"]! > (double)gcBefore["pauseTotalMs"]!, "a blocking collection adds to the pause total");
            Assert.True((long)gcAfter["allocatedBytes"]! > (long)gcBefore["allocatedBytes"]!);
            Assert.True((long)gcAfter["heapBytes"]! > 0);
        }
    }

    [Fact]
    public async Task A_participant_whose_media_vanishes_is_removed_when_consent_expires_and_everyone_is_told()
    {
        await using var server = HuddleServer.With("--Huddle:RoomMode=sfu", "--Huddle:Media:ConsentTimeout=00:00:02");
        await server.InitializeAsync();
        using var dtls = new DtlsContext();
        var (publisher, subscriber) = await PairAsync(server, dtls);
        await using (publisher)
        await using (subscriber)
        {
            await using TestClient watcher = await server.JoinAsync(RoomNames.Unique("other"), "w");
            publisher.LoseMedia();
            // The server ends the vanished participant's signaling too, and the room hears it left.
            Assert.NotNull(await publisher.Signal.WaitClosedAsync(TimeSpan.FromSeconds(15)));
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (server.Rooms.RoomCount > 0 && DateTime.UtcNow < deadline)
            {
                var pairRoom = server.Rooms.All().FirstOrDefault(r => r.Name.StartsWith("pair", StringComparison.Ordinal));
                if (pairRoom is null || pairRoom.Count == 1) break;
                await Task.Delay(100);
            }
            var room = server.Rooms.All().First(r => r.Name.StartsWith("pair", StringComparison.Ordinal));
            Assert.Equal(1, room.Count);
            Assert.Single(room.Router!.Peers);
        }
    }
}
