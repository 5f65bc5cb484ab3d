using Huddle.Browser.Tests.Rig;
using Microsoft.Playwright;

namespace Huddle.Browser.Tests;

public sealed class PhoneAndErrorTests(MeetingFixture meeting) : IClassFixture<MeetingFixture>
{
    [Fact]
    public async Task On_a_phone_screen_the_call_fits_and_videos_play_inline()
    {
        string room = MeetingFixture.NewRoom("phone");
        await using Participant alice = await meeting.JoinAsync(room, "Alice");
        IBrowserContext phone = await meeting.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
        });
        try
        {
            IPage page = await phone.NewPageAsync();
            await page.GotoAsync(new Uri(meeting.BaseUri, $"/r/{room}?name=Pia&quality=low").ToString());
            var pia = new Participant("Pia", phone, page);
            await pia.AssertReceivesAsync("Alice");

            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"),
                "nothing overflows the phone's width");
            Assert.True(await page.EvaluateAsync<bool>("() => [...document.querySelectorAll('video')].every(v => v.playsInline)"),
                "every video plays inline");
            foreach (string control in new[] { "#toggle-mic", "#toggle-camera", "#toggle-chat", "#leave" })
            {
                var box = await page.Locator(control).BoundingBoxAsync();
                Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= 390 && box.Y + box.Height <= 844, $"{control} is on screen");
            }
            await pia.ScreenshotAsync(nameof(On_a_phone_screen_the_call_fits_and_videos_play_inline));
        }
        finally
        {
            await phone.CloseAsync();
        }
    }

    [Fact]
    public async Task A_busy_camera_is_explained_and_the_person_still_receives()
    {
        // The browser reports a device held by another application as NotReadableError.
        const string busy = """
            navigator.mediaDevices.getUserMedia = async () => { throw new DOMException('Could not start video source', 'NotReadableError'); };
            """;
        string room = MeetingFixture.NewRoom("busy");
        await using Participant alice = await meeting.JoinAsync(room, "Alice");
        await using Participant bo = await meeting.JoinAsync(room, "Bo", initScript: busy);
        await Assertions.Expect(bo.Page.Locator("#notice")).ToHaveAttributeAsync("data-code", "device-busy", new() { Timeout = 15_000 });
        await Assertions.Expect(bo.Page.Locator("#notice")).ToContainTextAsync("busy");
        await bo.AssertReceivesAsync("Alice");
        await bo.ScreenshotAsync(nameof(A_busy_camera_is_explained_and_the_person_still_receives));
    }
}
