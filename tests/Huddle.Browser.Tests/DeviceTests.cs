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
    private const string RedCamera = """
        (() => {
          const md = navigator.mediaDevices;
          const enumerate = md.enumerateDevices.bind(md);
          const getUserMedia = md.getUserMedia.bind(md);
          md.enumerateDevices = async () => [...await enumerate(),
            { deviceId: 'test-red-camera', groupId: 'test', kind: 'videoinput', label: 'Red Test Camera', toJSON() { return this; } }];
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

    private static bool IsRed(Rgb c) => c.R > 150 && c.G < 90 && c.B < 90;
}
