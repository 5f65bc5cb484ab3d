using Huddle.Load;
using Huddle.Media.Dtls;
using Huddle.Media.Rtp;
using Huddle.Media.Udp;
using Microsoft.Playwright;

namespace Huddle.Bench;

/// <summary>
/// <c>record-clip</c>: records what Chromium's fake camera sends at the bench's picture size into an IVF
/// file (<see cref="Vp8Clip"/>), so bots can publish video a browser decodes. A page publishes in an SFU
/// room of the in-process server; a bot of our own stack subscribes and puts the VP8 frames back
/// together, from the key frame the server asks for when the bot's consumer starts.
/// </summary>
internal static class RecordClip
{
    public static async Task<int> RunAsync(string[] args)
    {
        int seconds = BrowserBench.Option(args, "--seconds", 4);
        string output = BrowserBench.StringOption(args, "--out") ?? Path.Combine("bench", "clips", "chromium-fake-camera-160x120.ivf");
        if (seconds is < 1 or > 60)
        {
            Console.Error.WriteLine("--seconds is 1 to 60");
            return 2;
        }

        await using BrowserBench bench = await BrowserBench.StartAsync("--Huddle:RoomMode=sfu");
        string room = $"clip-{Guid.NewGuid():N}"[..16];
        var contexts = new List<IBrowserContext>();
        IPage page = await bench.OpenAsync(contexts, room, "Camera");
        await page.WaitForFunctionAsync("() => window.huddle?.call?.id", null, new() { Timeout = 30_000 });

        using var dtls = new DtlsContext();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 30));
        var frames = new List<(uint, byte[])>();
        var assemblers = new Dictionary<uint, Vp8FrameAssembler>();
        uint? videoSsrc = null;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using LoadBot bot = await LoadBot.JoinAsync(bench.BaseUri, dtls, room, 0, new LatencyHistogram(), stop.Token);
        bot.RtpReceived += packet =>
        {
            if (done.Task.IsCompleted || !RtpHeader.TryParse(packet, out RtpHeader header)) return;
            // Audio and video arrive alike; the stream that yields a VP8 key frame is the camera's.
            if (videoSsrc is { } ssrc && header.Ssrc != ssrc) return;
            if (!assemblers.TryGetValue(header.Ssrc, out Vp8FrameAssembler? assembler)) assemblers[header.Ssrc] = assembler = new Vp8FrameAssembler();
            int droppedBefore = assembler.Dropped;
            byte[]? frame = assembler.Push(header.SequenceNumber, header.Timestamp, header.Marker, header.Payload, out uint timestamp);
            if (videoSsrc is not null && assembler.Dropped != droppedBefore)
            {
                done.TrySetResult(); // a gap: keep what came before it
                return;
            }
            if (frame is null) return;
            videoSsrc = header.Ssrc;
            frames.Add((timestamp, frame));
            if (timestamp - frames[0].Item1 >= (uint)(seconds * 90_000)) done.TrySetResult();
        };
        await done.Task.WaitAsync(stop.Token);
        foreach (IBrowserContext context in contexts) await context.CloseAsync();

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        await using (FileStream file = File.Create(output)) Vp8Clip.Write(file, frames);
        Vp8Clip clip = Vp8Clip.Load(output);
        Console.WriteLine($"wrote {output}: {clip.Frames.Count} frames, {clip.Width}x{clip.Height}, {clip.FrameRate} fps, "
            + $"{new FileInfo(output).Length:N0} bytes, key frame {clip.Frames[0].Length:N0} bytes");
        return 0;
    }
}
