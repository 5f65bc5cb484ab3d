using Huddle.Browser.Tests.Rig;
using Microsoft.Playwright;

namespace Huddle.Browser.Tests;

public sealed class ChatTests(MeetingFixture meeting) : IClassFixture<MeetingFixture>
{
    [Fact]
    public async Task Chat_goes_both_ways_with_names_and_times_and_renders_markup_as_text()
    {
        string room = MeetingFixture.NewRoom("chat");
        await using Participant alice = await meeting.JoinAsync(room, "Alice");
        await using Participant bob = await meeting.JoinAsync(room, "Bob");
        await alice.AssertReceivesAsync("Bob", audio: false);
        await WaitForChannelAsync(alice);
        await WaitForChannelAsync(bob);

        const string hostile = "<b>bold</b><img src=x onerror=alert(1)> & hi";
        await alice.Page.ClickAsync("#toggle-chat");
        await alice.Page.FillAsync("#chat-input", hostile);
        await alice.Page.PressAsync("#chat-input", "Enter");

        await bob.Page.ClickAsync("#toggle-chat");
        ILocator received = bob.Page.Locator("#chat-log .chat-message").Last;
        await received.WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        Assert.Equal(hostile, await received.Locator(".chat-text").TextContentAsync());
        Assert.Equal("Alice", await received.Locator(".chat-sender").TextContentAsync());
        Assert.Matches(@"^\d{2}:\d{2}$", await received.Locator(".chat-time").TextContentAsync() ?? "");
        Assert.Equal(0, await bob.Page.Locator("#chat-log img, #chat-log b").CountAsync());

        await bob.Page.FillAsync("#chat-input", "Hello Alice");
        await bob.Page.ClickAsync("#chat-send");
        ILocator reply = alice.Page.Locator("#chat-log .chat-message:not(.self)").Last;
        await reply.WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        Assert.Equal("Hello Alice", await reply.Locator(".chat-text").TextContentAsync());
        Assert.Equal("Bob", await reply.Locator(".chat-sender").TextContentAsync());

        await alice.ScreenshotAsync(nameof(Chat_goes_both_ways_with_names_and_times_and_renders_markup_as_text));
        await bob.ScreenshotAsync(nameof(Chat_goes_both_ways_with_names_and_times_and_renders_markup_as_text));
    }

    [Fact]
    public async Task An_unread_badge_counts_messages_while_the_chat_is_closed()
    {
        string room = MeetingFixture.NewRoom("badge");
        await using Participant alice = await meeting.JoinAsync(room, "Alice");
        await using Participant bob = await meeting.JoinAsync(room, "Bob");
        await WaitForChannelAsync(alice);
        await WaitForChannelAsync(bob);

        await alice.Page.ClickAsync("#toggle-chat");
        foreach (string text in new[] { "one", "two" })
        {
            await alice.Page.FillAsync("#chat-input", text);
            await alice.Page.PressAsync("#chat-input", "Enter");
        }
        ILocator badge = bob.Page.Locator("#chat-badge");
        await Assertions.Expect(badge).ToHaveTextAsync("2", new() { Timeout = 15_000 });
        await bob.Page.ClickAsync("#toggle-chat");
        await Assertions.Expect(badge).ToBeHiddenAsync();
    }

    private static Task WaitForChannelAsync(Participant p) =>
        p.Page.WaitForFunctionAsync("""
            () => [...window.huddle.call.transport?.peers.values() ?? []].some(peer => peer.channel.readyState === 'open')
            """, null, new PageWaitForFunctionOptions { Timeout = 30_000 });
}
