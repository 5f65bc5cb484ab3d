using Huddle.Browser.Tests.Rig;

namespace Huddle.Browser.Tests;

/// <summary>People in a mesh room see and hear each other.</summary>
public sealed class MeetingTests(MeetingFixture meeting) : IClassFixture<MeetingFixture>
{
    [Fact]
    public async Task Two_people_see_and_hear_each_other()
    {
        string room = MeetingFixture.NewRoom("two");
        await using Participant alice = await meeting.JoinAsync(room, "Alice");
        await using Participant bob = await meeting.JoinAsync(room, "Bob");

        await alice.AssertReceivesAsync("Bob");
        await bob.AssertReceivesAsync("Alice");
        Assert.Equal("Bob", await alice.RemoteTile("Bob").Locator(".tile-name").TextContentAsync());
        Assert.Equal("Alice", await bob.RemoteTile("Alice").Locator(".tile-name").TextContentAsync());
        Assert.Equal(1, await alice.RemoteTiles.CountAsync());
        Assert.True(await alice.Page.Locator(".tile[data-self] video").IsVisibleAsync(), "own preview is shown");

        await alice.ScreenshotAsync(nameof(Two_people_see_and_hear_each_other));
        await bob.ScreenshotAsync(nameof(Two_people_see_and_hear_each_other));
    }

    [Fact]
    public async Task Four_people_each_see_and_hear_the_three_others()
    {
        string room = MeetingFixture.NewRoom("four");
        string[] names = ["Ana", "Ben", "Cho", "Dev"];
        var people = new List<Participant>();
        try
        {
            foreach (string name in names) people.Add(await meeting.JoinAsync(room, name));
            foreach (Participant person in people)
            {
                await person.WaitForRemoteTilesAsync(3);
                foreach (string other in names.Where(n => n != person.Name)) await person.AssertReceivesAsync(other);
            }
            foreach (Participant person in people) await person.ScreenshotAsync(nameof(Four_people_each_see_and_hear_the_three_others));
        }
        finally
        {
            foreach (Participant person in people) await person.DisposeAsync();
        }
    }
}
