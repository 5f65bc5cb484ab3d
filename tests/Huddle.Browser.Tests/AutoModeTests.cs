using Huddle.Browser.Tests.Rig;
using Microsoft.Playwright;

namespace Huddle.Browser.Tests;

/// <summary>A server in auto mode: rooms start peer to peer and move to the SFU and back as they grow and shrink.</summary>
public sealed class AutoFixture : IAsyncLifetime
{
    public MeetingFixture Meeting { get; } = MeetingFixture.With("--Huddle:RoomMode=auto");

    public Task InitializeAsync() => Meeting.InitializeAsync();

    public Task DisposeAsync() => Meeting.DisposeAsync();
}

public sealed class AutoModeTests(AutoFixture auto) : IClassFixture<AutoFixture>
{
    private static Task<string> ModeAsync(Participant person) =>
        person.Page.EvaluateAsync<string>("() => window.huddle.call.transport?.kind ?? 'none'");

    private static async Task WaitForModeAsync(Participant person, string mode)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (await ModeAsync(person) != mode)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"{person.Name} is still in {await ModeAsync(person)}, not {mode}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_fourth_person_moves_the_room_to_the_server_and_leaving_moves_it_back_without_anyone_rejoining()
    {
        string room = MeetingFixture.NewRoom("auto");
        string[] firstThree = ["Ana", "Ben", "Cho"];
        var people = new List<Participant>();
        try
        {
            foreach (string name in firstThree) people.Add(await auto.Meeting.JoinAsync(room, name));
            foreach (Participant person in people)
            {
                await person.WaitForRemoteTilesAsync(2);
                Assert.Equal("mesh", await ModeAsync(person));
                foreach (string other in firstThree.Where(n => n != person.Name)) await person.AssertReceivesAsync(other, audio: false);
            }
            string[] ids = await Task.WhenAll(people.Select(p => p.Page.EvaluateAsync<string>("() => window.huddle.call.id")));

            // The fourth joins: everybody moves to the SFU, keeps their id (nobody rejoined) and sees everyone.
            people.Add(await auto.Meeting.JoinAsync(room, "Dev"));
            string[] everyone = [.. firstThree, "Dev"];
            foreach (Participant person in people) await WaitForModeAsync(person, "sfu");
            foreach (Participant person in people)
            {
                await person.WaitForRemoteTilesAsync(3);
                foreach (string other in everyone.Where(n => n != person.Name)) await person.AssertReceivesAsync(other, audio: false);
                Assert.True(await person.Page.EvaluateAsync<int>("() => window.huddle.call.peerConnections.size") <= 2);
            }
            for (int i = 0; i < ids.Length; i++)
                Assert.Equal(ids[i], await people[i].Page.EvaluateAsync<string>("() => window.huddle.call.id"));

            // Two leave: the two left go back to peer to peer and still see each other.
            await people[3].DisposeAsync();
            await people[2].DisposeAsync();
            people.RemoveRange(2, 2);
            foreach (Participant person in people) await WaitForModeAsync(person, "mesh");
            await people[0].AssertReceivesAsync("Ben");
            await people[1].AssertReceivesAsync("Ana");
            Assert.Equal(1, await people[0].RemoteTiles.CountAsync());
            await people[0].ScreenshotAsync(nameof(A_fourth_person_moves_the_room_to_the_server_and_leaving_moves_it_back_without_anyone_rejoining));
        }
        finally
        {
            foreach (Participant person in people) await person.DisposeAsync();
        }
    }
}
