using Huddle.Browser.Tests.Rig;
using Microsoft.Playwright;

namespace Huddle.Browser.Tests;

/// <summary>Microphone, camera and device changes, as the other person sees them.</summary>
public sealed class DeviceTests(MeetingFixture meeting) : IClassFixture<MeetingFixture>
{
    /// <summary>
    /// A second camera for the page: "Red Test Camera", a canvas painted solid red, offered through
    /// the real device list and getUserMedia so the app picks it like any other camera.
    /// </summary>
    internal const string RedCamera = """
        (() => {
          const md = navigator.mediaDevices;
          const enumerate = md.enumerateDevices.bind(md);
          const getUserMedia = md.getUserMedia.bind(md);
          let plugged = true;
          const live = [];
          md.enumerateDevices = async () => [...await enumerate(), ...(plugged ?
            [{ deviceId: 'test-red-camera', groupId: 'test', kind: 'videoinput', label: 'Red Test Camera', toJSON() { return this; } }] : [])];
          // What unplugging does: the device leaves the list, its tracks end, devicechange fires.
          window.unplugRedCamera = () => {
            plugged = false;
            live.forEach(t => t.stop());
            md.dispatchEvent(new Event('devicechange'));
          };
          md.getUserMedia = async (constraints) => {
            const v = constraints && constraints.video;
            const id = v && typeof v === 'object' && v.deviceId
              ? (typeof v.deviceId === 'string' ? v.deviceId : v.deviceId.exact ?? v.deviceId.ideal) : undefined;
            if (id !== 'test-red-camera') return getUserMedia(constraints);
            const canvas = document.createElement('canvas');
            canvas.width = 160; canvas.height = 120;
            const g = canvas.getContext('2d');
            let tick = 0;
            const paint = () => { g.fillStyle = '#ff0000'; g.fillRect(0, 0, 160, 120); g.fillStyle = (tick++ % 2) ? '#fe0000' : '#ff0101'; g.fillRect(0, 0, 2, 2); };
            paint();
            setInterval(paint, 60);
            const stream = canvas.captureStream(15);
            live.push(...stream.getVideoTracks());
            if (constraints.audio) (await getUserMedia({ audio: constraints.audio })).getAudioTracks().forEach(t => stream.addTrack(t));
            return stream;
          };
        })();
        """;

    [Fact]
    public async Task Switching_camera_changes_what_the_other_person_sees()
    {
        string room = MeetingFixture.NewRoom("camera");
        await using Participant alice = await meeting.JoinAsync(room, "Alice", initScript: RedCamera);
        await using Participant bob = await meeting.JoinAsync(room, "Bob");
        await bob.AssertReceivesAsync("Alice", audio: false);
        Rgb before = await bob.AverageColourAsync("Alice");
        Assert.False(IsRed(before), $"the fake camera is not red to begin with: {before}");
        int connectionsBefore = await alice.Page.EvaluateAsync<int>("() => window.huddle.call.peerConnections.size");

        await alice.Page.ClickAsync("#toggle-settings");
        await alice.Page.SelectOptionAsync("#camera-select", new SelectOptionValue { Label = "Red Test Camera" });

        Rgb after = before;
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (!IsRed(after) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(300);
            after = await bob.AverageColourAsync("Alice");
        }
        Assert.True(IsRed(after), $"Bob sees Alice's new camera: average colour {after}");
        await bob.AssertReceivesAsync("Alice", audio: true);
        Assert.Equal(connectionsBefore, await alice.Page.EvaluateAsync<int>("() => window.huddle.call.peerConnections.size"));

        await alice.ScreenshotAsync(nameof(Switching_camera_changes_what_the_other_person_sees));
        await bob.ScreenshotAsync(nameof(Switching_camera_changes_what_the_other_person_sees));
    }

    [Fact]
    public async Task Mute_and_camera_off_show_on_the_other_side()
    {
        string room = MeetingFixture.NewRoom("mute");
        await using Participant alice = await meeting.JoinAsync(room, "Alice");
        await using Participant bob = await meeting.JoinAsync(room, "Bob");
        await bob.AssertReceivesAsync("Alice", audio: false);
        ILocator tile = bob.RemoteTile("Alice");
        ILocator mutedMark = tile.Locator(".muted-mark");
        ILocator placeholder = tile.Locator(".placeholder");
        await Assertions.Expect(mutedMark).ToBeHiddenAsync();
        await Assertions.Expect(placeholder).ToBeHiddenAsync();

        await alice.Page.ClickAsync("#toggle-mic");
        await Assertions.Expect(alice.Page.Locator("#toggle-mic")).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(mutedMark).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Assertions.Expect(tile).ToHaveAttributeAsync("data-audio", "off");
        await bob.ScreenshotAsync("Muted");

        await alice.Page.ClickAsync("#toggle-mic");
        await Assertions.Expect(mutedMark).ToBeHiddenAsync(new() { Timeout = 10_000 });
        await Assertions.Expect(tile).ToHaveAttributeAsync("data-audio", "on");

        await alice.Page.ClickAsync("#toggle-camera");
        await Assertions.Expect(placeholder).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Assertions.Expect(placeholder).ToContainTextAsync("Alice");
        await Assertions.Expect(tile).ToHaveAttributeAsync("data-video", "off");
        Assert.Equal(0, await alice.Page.EvaluateAsync<int>("() => window.huddle.call.local.stream.getVideoTracks().length"));
        await bob.ScreenshotAsync("CameraOff");

        await alice.Page.ClickAsync("#toggle-camera");
        await Assertions.Expect(placeholder).ToBeHiddenAsync(new() { Timeout = 10_000 });
        await Assertions.Expect(tile).ToHaveAttributeAsync("data-video", "on");
        await bob.AssertReceivesAsync("Alice");
    }

    [Fact]
    public async Task Unplugging_the_camera_in_use_falls_back_to_another_camera()
    {
        string room = MeetingFixture.NewRoom("unplug");
        await using Participant alice = await meeting.JoinAsync(room, "Alice", initScript: RedCamera);
        await using Participant bob = await meeting.JoinAsync(room, "Bob");
        await bob.AssertReceivesAsync("Alice", audio: false);
        await alice.Page.ClickAsync("#toggle-settings");
        await alice.Page.SelectOptionAsync("#camera-select", new SelectOptionValue { Label = "Red Test Camera" });
        await WaitForColourAsync(bob, red: true);

        await alice.Page.EvaluateAsync("() => window.unplugRedCamera()");
        await WaitForColourAsync(bob, red: false);
        await bob.AssertReceivesAsync("Alice", audio: false);
        await Assertions.Expect(alice.Page.Locator("#camera-select option", new() { HasText = "Red Test Camera" })).ToHaveCountAsync(0);
        await Assertions.Expect(bob.RemoteTile("Alice")).ToHaveAttributeAsync("data-video", "on");
    }

    [Fact]
    public async Task An_ice_restart_on_both_sides_at_once_keeps_the_call_going()
    {
        // What the client does when a connection fails or the network changes: restartIce(). Both
        // sides at once is the glare case that perfect negotiation must absorb.
        string room = MeetingFixture.NewRoom("restart-ice");
        await using Participant alice = await meeting.JoinAsync(room, "Alice");
        await using Participant bob = await meeting.JoinAsync(room, "Bob");
        await alice.AssertReceivesAsync("Bob", audio: false);
        const string ufrag = "() => /a=ice-ufrag:(\\S+)/.exec([...window.huddle.call.peerConnections.values()][0].remoteDescription.sdp)[1]";
        string before = await alice.Page.EvaluateAsync<string>(ufrag);

        const string restart = "() => [...window.huddle.call.peerConnections.values()].forEach(pc => pc.restartIce())";
        await Task.WhenAll(alice.Page.EvaluateAsync(restart), bob.Page.EvaluateAsync(restart));

        await alice.Page.WaitForFunctionAsync($"before => ({ufrag})() !== before", before, new() { Timeout = 15_000 });
        await alice.AssertReceivesAsync("Bob");
        await bob.AssertReceivesAsync("Alice");
        Assert.Equal("stable", await alice.Page.EvaluateAsync<string>("() => [...window.huddle.call.peerConnections.values()][0].signalingState"));
    }

    private static async Task WaitForColourAsync(Participant viewer, bool red)
    {
        Rgb colour = await viewer.AverageColourAsync("Alice");
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (IsRed(colour) != red && DateTime.UtcNow < deadline)
        {
            await Task.Delay(300);
            colour = await viewer.AverageColourAsync("Alice");
        }
        Assert.True(IsRed(colour) == red, $"expected {(red ? "a red" : "a non-red")} picture, got {colour}");
    }

    internal static bool IsRed(Rgb c) => c.R > 150 && c.G < 90 && c.B < 90;
}
