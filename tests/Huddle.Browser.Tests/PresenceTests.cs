using Huddle.Browser.Tests.Rig;
using Microsoft.Playwright;

namespace Huddle.Browser.Tests;

/// <summary>Arriving, leaving, full rooms, and people without camera or microphone.</summary>
public sealed class PresenceTests(MeetingFixture meeting) : IClassFixture<MeetingFixture>
{
    [Fact]
    public async Task Leaving_or_closing_the_tab_removes_the_tile_for_everyone()
    {
        string room = MeetingFixture.NewRoom("leave");
        await using Participant alice = await meeting.JoinAsync(room, "Alice");
        await using Participant bob = await meeting.JoinAsync(room, "Bob");
        await using Participant carol = await meeting.JoinAsync(room, "Carol");
        await alice.WaitForRemoteTilesAsync(2);
        await bob.WaitForRemoteTilesAsync(2);

        await carol.Page.ClickAsync("#leave");
        await carol.WaitForViewAsync("left");
        await Assertions.Expect(alice.RemoteTile("Carol")).ToHaveCountAsync(0, new() { Timeout = 5_000 });
        await Assertions.Expect(bob.RemoteTile("Carol")).ToHaveCountAsync(0, new() { Timeout = 5_000 });
        await carol.ScreenshotAsync(nameof(Leaving_or_closing_the_tab_removes_the_tile_for_everyone));

        await bob.Page.CloseAsync();
        await Assertions.Expect(alice.RemoteTile("Bob")).ToHaveCountAsync(0, new() { Timeout = 10_000 });
        await alice.ScreenshotAsync(nameof(Leaving_or_closing_the_tab_removes_the_tile_for_everyone));
    }

    [Fact]
    public async Task The_fifth_person_is_told_the_room_is_full_and_the_four_carry_on()
    {
        string room = MeetingFixture.NewRoom("full");
        string[] names = ["Ana", "Ben", "Cho", "Dev"];
        var people = new List<Participant>();
        try
        {
            foreach (string name in names) people.Add(await meeting.JoinAsync(room, name, "&video=0&audio=0"));
            foreach (Participant p in people) await p.WaitForRemoteTilesAsync(3);

            await using Participant eve = await meeting.JoinAsync(room, "Eve", "&video=0&audio=0");
            await eve.WaitForViewAsync("full");
            await Assertions.Expect(eve.Page.Locator("#notice")).ToHaveAttributeAsync("data-code", "room-full");
            await Assertions.Expect(eve.Page.Locator("#full-view")).ToContainTextAsync("full");
            await eve.ScreenshotAsync(nameof(The_fifth_person_is_told_the_room_is_full_and_the_four_carry_on));

            await Task.Delay(500);
            foreach (Participant p in people)
            {
                Assert.Equal(3, await p.RemoteTiles.CountAsync());
                Assert.Equal("call", await p.Page.EvaluateAsync<string>("() => document.body.dataset.view"));
            }
        }
        finally
        {
            foreach (Participant p in people) await p.DisposeAsync();
        }
    }

    [Fact]
    public async Task Denied_permission_still_receives_and_says_why()
    {
        string room = MeetingFixture.NewRoom("denied");
        // No --use-fake-ui-for-media-stream: the permission prompt is refused, as when a person clicks "Block".
        IBrowser strict = await MeetingFixture.LaunchAsync(meeting.Playwright,
            MeetingFixture.ChromiumArgs.Where(a => a != "--use-fake-ui-for-media-stream"));
        try
        {
            await using Participant alice = await meeting.JoinAsync(room, "Alice");
            await using Participant denied = await meeting.JoinAsync(room, "Dana", browser: strict);

            await Assertions.Expect(denied.Page.Locator("#notice")).ToHaveAttributeAsync("data-code", "permission-denied", new() { Timeout = 15_000 });
            await Assertions.Expect(denied.Page.Locator(".tile[data-self] .self-media-missing")).ToBeVisibleAsync();
            await denied.AssertReceivesAsync("Alice");

            ILocator danaTile = alice.RemoteTile("Dana");
            await Assertions.Expect(danaTile.Locator(".placeholder")).ToBeVisibleAsync(new() { Timeout = 10_000 });
            await Assertions.Expect(danaTile.Locator(".muted-mark")).ToBeVisibleAsync();

            await denied.ScreenshotAsync(nameof(Denied_permission_still_receives_and_says_why));
            await alice.ScreenshotAsync(nameof(Denied_permission_still_receives_and_says_why));
        }
        finally
        {
            await strict.CloseAsync();
        }
    }

    [Fact]
    public async Task Joining_with_camera_and_microphone_off_still_receives()
    {
        string room = MeetingFixture.NewRoom("nomedia");
        await using Participant alice = await meeting.JoinAsync(room, "Alice");
        await using Participant quiet = await meeting.JoinAsync(room, "Quinn", "&video=0&audio=0");
        await quiet.AssertReceivesAsync("Alice");
        await Assertions.Expect(quiet.Page.Locator("#toggle-camera")).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(alice.RemoteTile("Quinn").Locator(".placeholder")).ToBeVisibleAsync(new() { Timeout = 10_000 });

        // Turning the camera on later reaches Alice without a new connection.
        await quiet.Page.ClickAsync("#toggle-camera");
        await Assertions.Expect(alice.RemoteTile("Quinn").Locator(".placeholder")).ToBeHiddenAsync(new() { Timeout = 10_000 });
        await alice.AssertReceivesAsync("Quinn", audio: false);
        await quiet.ScreenshotAsync(nameof(Joining_with_camera_and_microphone_off_still_receives));
    }

    [Fact]
    public async Task The_home_page_previews_and_joins_by_room_link()
    {
        IBrowserContext context = await meeting.Browser.NewContextAsync();
        try
        {
            IPage page = await context.NewPageAsync();
            await page.GotoAsync(meeting.BaseUri + "?quality=low");
            await page.WaitForFunctionAsync("() => document.body.dataset.view === 'home'");
            Assert.Matches("^[a-z]+-[a-z]+-[0-9]+$", await page.InputValueAsync("#room-input"));
            await page.WaitForFunctionAsync("() => document.querySelector('#preview').videoWidth > 0", null, new() { Timeout = 15_000 });
            await page.WaitForFunctionAsync("() => Number(document.querySelector('#level-meter').dataset.level) > 0", null, new() { Timeout = 15_000 });

            await page.FillAsync("#room-input", "home-room");
            await page.FillAsync("#name-input", "Hana");
            await page.ClickAsync("#join-button");
            await page.WaitForFunctionAsync("() => document.body.dataset.view === 'call'");
            Assert.EndsWith("/r/home-room", page.Url);
            await page.ScreenshotAsync(new() { Path = ScreenshotPath("HomePage-joined") });
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    private static string ScreenshotPath(string name)
    {
        string root = Environment.GetEnvironmentVariable("HUDDLE_ARTIFACTS") ?? Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(Path.Combine(root, "screenshots"));
        return Path.Combine(root, "screenshots", $"{name}.png");
    }
}
