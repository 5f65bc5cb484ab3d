using Huddle.Browser.Tests.Rig;
using Huddle.Load;
using Huddle.Media.Dtls;
using Huddle.Media.Udp;
using Microsoft.Playwright;

namespace Huddle.Browser.Tests;

/// <summary>A server in SFU mode: rooms beyond the mesh, every page with at most two connections.</summary>
public sealed class SfuFixture : IAsyncLifetime
{
    public MeetingFixture Meeting { get; } = MeetingFixture.With("--Huddle:RoomMode=sfu");

    public Task InitializeAsync() => Meeting.InitializeAsync();

    public Task DisposeAsync() => Meeting.DisposeAsync();
}

public sealed class SfuTests(SfuFixture sfu) : IClassFixture<SfuFixture>
{
    private MeetingFixture Meeting => sfu.Meeting;

    private static async Task AssertTwoConnectionsAtMostAsync(Participant person)
    {
        var shape = await person.Page.EvaluateAsync<int[]>(
            "() => [window.huddle.call.peerConnections.size, window.huddle.call.transport?.kind === 'sfu' ? 1 : 0]");
        Assert.True(shape[0] <= 2, $"{person.Name} holds {shape[0]} peer connections");
        Assert.Equal(1, shape[1]);
    }

    [Fact]
    public async Task Four_people_see_and_hear_each_other_through_the_server_with_two_connections_each()
    {
        string room = MeetingFixture.NewRoom("sfu");
        string[] names = ["Ana", "Ben", "Cho"];
        var people = new List<Participant>();
        try
        {
            foreach (string name in names) people.Add(await Meeting.JoinAsync(room, name));
            foreach (Participant person in people)
            {
                await person.WaitForRemoteTilesAsync(names.Length - 1);
                foreach (string other in names.Where(n => n != person.Name)) await person.AssertReceivesAsync(other);
                await AssertTwoConnectionsAtMostAsync(person);
            }

            // A late joiner decodes every remote video, and everyone receives the newcomer.
            Participant dev = await Meeting.JoinAsync(room, "Dev");
            people.Add(dev);
            await dev.WaitForRemoteTilesAsync(3);
            foreach (string other in names) await dev.AssertReceivesAsync(other);
            foreach (Participant person in people.Take(3)) await person.AssertReceivesAsync("Dev");
            await AssertTwoConnectionsAtMostAsync(dev);
            foreach (Participant person in people) await person.ScreenshotAsync(nameof(Four_people_see_and_hear_each_other_through_the_server_with_two_connections_each));

            // Someone leaves: the others lose the tile and keep receiving each other.
            await people[0].DisposeAsync();
            people.RemoveAt(0);
            foreach (Participant person in people)
            {
                await Assertions.Expect(person.RemoteTile("Ana")).ToHaveCountAsync(0, new LocatorAssertionsToHaveCountOptions { Timeout = 15_000 });
            }
            await people[0].AssertReceivesAsync("Dev");
            await people[2].AssertReceivesAsync("Ben");
        }
        finally
        {
            foreach (Participant person in people) await person.DisposeAsync();
        }
    }

    [Fact]
    public async Task Chat_goes_through_the_server_says_so_and_late_joiners_get_the_history()
    {
        string room = MeetingFixture.NewRoom("sfuchat");
        await using Participant alice = await Meeting.JoinAsync(room, "Alice", "&video=0");
        await using Participant bob = await Meeting.JoinAsync(room, "Bob", "&video=0");
        await bob.WaitForRemoteTilesAsync(1);

        const string hostile = "<b>bold</b><img src=x onerror=alert(1)> & hi";
        await alice.Page.ClickAsync("#toggle-chat");
        await Assertions.Expect(alice.Page.Locator(".chat-privacy")).ToContainTextAsync("Through the server");
        await alice.Page.FillAsync("#chat-input", hostile);
        await alice.Page.PressAsync("#chat-input", "Enter");

        await bob.Page.ClickAsync("#toggle-chat");
        ILocator received = bob.Page.Locator("#chat-log .chat-message").Last;
        await received.WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        Assert.Equal(hostile, await received.Locator(".chat-text").TextContentAsync());
        Assert.Equal("Alice", await received.Locator(".chat-sender").TextContentAsync());
        Assert.Equal("server", await received.GetAttributeAsync("data-via"));
        Assert.Equal("via server", await received.Locator(".chat-via").TextContentAsync());
        Assert.Equal(0, await bob.Page.Locator("#chat-log img, #chat-log b").CountAsync());

        // Someone who comes later finds the conversation.
        await using Participant carol = await Meeting.JoinAsync(room, "Carol", "&video=0");
        await carol.Page.ClickAsync("#toggle-chat");
        ILocator history = carol.Page.Locator("#chat-log .chat-message").Filter(new LocatorFilterOptions { HasText = "bold" });
        await history.WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        Assert.Equal(hostile, await history.Locator(".chat-text").TextContentAsync());
        Assert.Equal("Alice", await history.Locator(".chat-sender").TextContentAsync());
        await carol.ScreenshotAsync(nameof(Chat_goes_through_the_server_says_so_and_late_joiners_get_the_history));
    }

    [Fact]
    public async Task A_page_that_crashes_is_removed_and_the_others_are_told_and_keep_their_call()
    {
        string room = MeetingFixture.NewRoom("crash");
        await using Participant ana = await Meeting.JoinAsync(room, "Ana");
        await using Participant ben = await Meeting.JoinAsync(room, "Ben");
        Participant cho = await Meeting.JoinAsync(room, "Cho");
        try
        {
            await ana.AssertReceivesAsync("Cho", audio: false);
            await ben.AssertReceivesAsync("Cho", audio: false);

            // Cho's tab dies: no leave, no close of anything by the page itself.
            ICDPSession cdp = await cho.Page.Context.NewCDPSessionAsync(cho.Page);
            _ = cdp.SendAsync("Page.crash"); // never answers: the page is gone
            foreach (Participant person in new[] { ana, ben })
            {
                await person.WaitForRemoteTilesAsync(1);
                await Assertions.Expect(person.RemoteTile("Cho")).ToHaveCountAsync(0);
            }
            await ana.AssertReceivesAsync("Ben", audio: false);
            await ben.AssertReceivesAsync("Ana", audio: false);
        }
        finally
        {
            await cho.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_publisher_made_of_our_own_stack_is_decoded_by_a_browser_and_receives_it()
    {
        // A bot (our ICE, DTLS and SRTP) publishing a recorded VP8 clip, as the join-latency benchmark's
        // bots do: what it sends must be a picture a browser decodes through the server, and it must get
        // the browser's media back.
        string room = MeetingFixture.NewRoom("bot");
        string? clipPath = Vp8Clip.FindDefault();
        Assert.True(clipPath is not null, "bench/clips/chromium-fake-camera-160x120.ivf is missing from the checkout");
        Vp8Clip clip = Vp8Clip.Load(clipPath);
        using var dtls = new DtlsContext();
        using var cancel = new CancellationTokenSource(Participant.Wait);
        await using LoadBot bot = await LoadBot.JoinAsync(Meeting.BaseUri, dtls, room, 0, new LatencyHistogram(), cancel.Token);
        await bot.PublishAsync(new MediaProfile { Clip = clip }, cancel.Token);
        using var stopPacing = new CancellationTokenSource();
        Task pacing = Task.Run(async () =>
        {
            // One caller at a time, as the benchmark's pacer thread.
            while (!stopPacing.IsCancellationRequested)
            {
                bot.SendDue(System.Diagnostics.Stopwatch.GetTimestamp());
                await Task.Delay(5);
            }
        });
        try
        {
            await using Participant ana = await Meeting.JoinAsync(room, "Ana");
            await ana.WaitForRemoteTilesAsync(1);
            await ana.AssertReceivesAsync("bot0", audio: false); // the bot's audio is Opus silence
            VideoState picture = await ana.VideoStateAsync("bot0");
            Assert.Equal(clip.Width, picture.Width);
            Assert.True(bot.KeyFramesSent >= 1);

            DateTime deadline = DateTime.UtcNow + Participant.Wait;
            while (bot.Received.Foreign < 50 && DateTime.UtcNow < deadline) await Task.Delay(100); // a browser's packets carry no bot tag
            Assert.True(bot.Received.Foreign >= 50, $"the bot received {bot.Received.Foreign} packets from Ana");
            Assert.Empty(bot.Errors);
        }
        finally
        {
            stopPacing.Cancel();
            await pacing;
        }
    }

    [Fact]
    public async Task Six_people_each_decode_the_five_others_with_two_connections_each()
    {
        string room = MeetingFixture.NewRoom("six");
        string[] names = ["P1", "P2", "P3", "P4", "P5", "P6"];
        var people = new List<Participant>();
        try
        {
            foreach (string name in names) people.Add(await Meeting.JoinAsync(room, name));
            foreach (Participant person in people)
            {
                await person.WaitForRemoteTilesAsync(5);
                foreach (string other in names.Where(n => n != person.Name))
                {
                    try
                    {
                        await person.AssertReceivesAsync(other, audio: false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // Say what the sender was doing, so a failure tells encoder stall from forwarding.
                        Participant sender = people.First(p => p.Name == other);
                        string outbound = await sender.Page.EvaluateAsync<string>("""
                            async () => {
                              const pc = window.huddle.call.peerConnections.get('publish');
                              const out = [];
                              (await pc.getStats()).forEach(s => {
                                if (s.type === 'outbound-rtp') out.push(`${s.kind}: sent ${s.packetsSent} encoded ${s.framesEncoded ?? '-'} limit ${s.qualityLimitationReason ?? '-'} fps ${s.framesPerSecond ?? '-'} target ${s.targetBitrate ?? '-'} plis ${s.pliCount ?? '-'} nacks ${s.nackCount ?? '-'}`);
                                if (s.type === 'media-source' && s.kind === 'video') out.push(`camera: frames ${s.frames ?? '-'} fps ${s.framesPerSecond ?? '-'}`);
                                if (s.type === 'candidate-pair' && s.nominated) out.push(`path: available out ${s.availableOutgoingBitrate ?? '-'}`);
                              });
                              const track = window.huddle.call.local?.video;
                              if (track) out.push(`track: ${track.readyState}${track.muted ? ' muted' : ''}`);
                              return out.join('; ');
                            }
                            """);
                        throw new Xunit.Sdk.XunitException($"{e.Message}; {other} sends: {outbound}");
                    }
                }
                await AssertTwoConnectionsAtMostAsync(person);
            }
            await people[0].ScreenshotAsync(nameof(Six_people_each_decode_the_five_others_with_two_connections_each));
        }
        finally
        {
            foreach (Participant person in people) await person.DisposeAsync();
        }
    }

    [Fact]
    public async Task Camera_switch_mute_and_camera_off_reach_subscribers_through_the_server()
    {
        string room = MeetingFixture.NewRoom("sfudev");
        await using Participant alice = await Meeting.JoinAsync(room, "Alice", initScript: DeviceTests.RedCamera);
        await using Participant bob = await Meeting.JoinAsync(room, "Bob");
        await bob.AssertReceivesAsync("Alice", audio: false);
        Rgb before = await bob.AverageColourAsync("Alice");
        Assert.False(DeviceTests.IsRed(before), $"the fake camera is not red to begin with: {before}");

        // Camera switch: replaceTrack on the publish connection, no renegotiation.
        await alice.Page.ClickAsync("#toggle-settings");
        await alice.Page.SelectOptionAsync("#camera-select", new SelectOptionValue { Label = "Red Test Camera" });
        Rgb after = before;
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (!DeviceTests.IsRed(after) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(300);
            after = await bob.AverageColourAsync("Alice");
        }
        Assert.True(DeviceTests.IsRed(after), $"Bob sees Alice's new camera through the server: {after}");
        await AssertTwoConnectionsAtMostAsync(alice);

        // Mute and camera off are signaled as in mesh rooms; the picture comes back after camera on.
        ILocator tile = bob.RemoteTile("Alice");
        await alice.Page.ClickAsync("#toggle-mic");
        await Assertions.Expect(tile.Locator(".muted-mark")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await alice.Page.ClickAsync("#toggle-camera");
        await Assertions.Expect(tile.Locator(".placeholder")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await alice.Page.ClickAsync("#toggle-camera");
        await Assertions.Expect(tile.Locator(".placeholder")).ToBeHiddenAsync(new() { Timeout = 10_000 });
        await alice.Page.ClickAsync("#toggle-mic");
        await Assertions.Expect(tile.Locator(".muted-mark")).ToBeHiddenAsync(new() { Timeout = 10_000 });
        await bob.AssertReceivesAsync("Alice");
    }

    [Fact]
    public async Task The_statistics_overlay_shows_bitrate_loss_and_round_trip_per_picture()
    {
        string room = MeetingFixture.NewRoom("stats");
        await using Participant alice = await Meeting.JoinAsync(room, "Alice");
        await using Participant bob = await Meeting.JoinAsync(room, "Bob");
        await bob.AssertReceivesAsync("Alice", audio: false);
        ILocator overlay = bob.RemoteTile("Alice").Locator(".tile-stats");
        await Assertions.Expect(overlay).ToBeHiddenAsync();

        await bob.Page.ClickAsync("#toggle-settings");
        await bob.Page.CheckAsync("#stats-toggle");
        await Assertions.Expect(overlay).ToBeVisibleAsync(new() { Timeout = 5_000 });
        // A moving picture: a bitrate above zero, a loss figure, and the round trip to the server.
        await Assertions.Expect(overlay).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[1-9]\d* kbit/s · \d+\.\d % loss · \d+ ms$"),
            new() { Timeout = 10_000 });
        await bob.ScreenshotAsync(nameof(The_statistics_overlay_shows_bitrate_loss_and_round_trip_per_picture));

        await bob.Page.UncheckAsync("#stats-toggle");
        await Assertions.Expect(overlay).ToBeHiddenAsync(new() { Timeout = 5_000 });
    }
}
