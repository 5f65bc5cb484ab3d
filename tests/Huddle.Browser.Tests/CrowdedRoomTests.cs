using Huddle.Browser.Tests.Rig;
using Microsoft.Playwright;

namespace Huddle.Browser.Tests;

/// <summary>An SFU server where one person receives at most two tracks (one other person's audio and video).</summary>
public sealed class CrowdedRoomFixture : IAsyncLifetime
{
    public MeetingFixture Meeting { get; } = MeetingFixture.With("--Huddle:RoomMode=sfu", "--Huddle:SfuMaxTracksPerSubscriber=2");

    public Task InitializeAsync() => Meeting.InitializeAsync();

    public Task DisposeAsync() => Meeting.DisposeAsync();
}

/// <summary>
/// More streams in a room than one person may receive (Huddle:SfuMaxTracksPerSubscriber): the people held
/// back are shown as such, and their media comes once someone leaves.
/// </summary>
public sealed class CrowdedRoomTests(CrowdedRoomFixture crowded) : IClassFixture<CrowdedRoomFixture>
{
    private const string NotReceived = "Not received: too many streams in this room";

    private MeetingFixture Meeting => crowded.Meeting;

    private static ILocator Status(Participant viewer, string name) => viewer.RemoteTile(name).Locator(".tile-status");

    [Fact]
    public async Task People_past_what_one_person_can_receive_are_marked_not_received_until_someone_leaves()
    {
        string room = MeetingFixture.NewRoom("crowd");
        await using Participant ana = await Meeting.JoinAsync(room, "Ana");
        await using Participant ben = await Meeting.JoinAsync(room, "Ben");
        await ana.AssertReceivesAsync("Ben");
        await ben.AssertReceivesAsync("Ana");

        Participant cho = await Meeting.JoinAsync(room, "Cho");
        try
        {
            var wait = new LocatorAssertionsToHaveTextOptions { Timeout = (float)Participant.Wait.TotalMilliseconds };
            // Ana and Ben already receive each other: Cho's tile says why it stays dark.
            foreach (Participant viewer in new[] { ana, ben }) await Assertions.Expect(Status(viewer, "Cho")).ToHaveTextAsync(NotReceived, wait);

            // Cho receives one of them and sees the other marked.
            await cho.WaitForRemoteTilesAsync(2);
            string held = await cho.Page.EvaluateAsync<string>("""
                async text => {
                  for (;;) {
                    const tile = [...document.querySelectorAll('.tile[data-participant-id]')]
                      .find((t) => t.querySelector('.tile-status')?.textContent === text);
                    if (tile) return tile.dataset.name;
                    await new Promise((r) => setTimeout(r, 100));
                  }
                }
                """, NotReceived);
            string shown = held == "Ana" ? "Ben" : "Ana";
            await cho.AssertReceivesAsync(shown);
            await ana.ScreenshotAsync(nameof(People_past_what_one_person_can_receive_are_marked_not_received_until_someone_leaves));

            // The one Cho receives leaves: the sections free up, and Cho and the one left receive each other.
            Participant leaving = shown == "Ana" ? ana : ben, staying = shown == "Ana" ? ben : ana;
            await leaving.DisposeAsync();
            await cho.AssertReceivesAsync(held);
            await staying.AssertReceivesAsync("Cho");
            var hidden = new LocatorAssertionsToBeHiddenOptions { Timeout = (float)Participant.Wait.TotalMilliseconds };
            await Assertions.Expect(Status(cho, held)).ToBeHiddenAsync(hidden);
            await Assertions.Expect(Status(staying, "Cho")).ToBeHiddenAsync(hidden);
        }
        finally
        {
            await cho.DisposeAsync();
        }
    }
}
