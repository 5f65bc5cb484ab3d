using System.Buffers.Binary;
using System.Diagnostics;
using Huddle.Load;
using Huddle.Media.Rtp;

namespace Huddle.Sfu.Tests;

/// <summary>
/// Bots that publish a recorded VP8 clip must send what a browser can decode: the clip's frames whole
/// and in order behind RFC 7741 descriptors, its key frame first and again on a PLI, and the IVF reader
/// must refuse anything else with a clear error.
/// </summary>
public class Vp8ClipTests
{
    private static Vp8Clip ShippedClip()
    {
        string? path = Vp8Clip.FindDefault();
        Assert.True(path is not null, "bench/clips/chromium-fake-camera-160x120.ivf is missing from the checkout");
        return Vp8Clip.Load(path);
    }

    [Fact]
    public void The_shipped_clip_is_chromiums_fake_camera_at_the_bench_size_starting_with_a_key_frame()
    {
        Vp8Clip clip = ShippedClip();
        Assert.Equal(160, clip.Width);
        Assert.Equal(120, clip.Height);
        Assert.InRange(clip.FrameRate, 10, 30);
        Assert.True(clip.Frames.Count >= 2 * clip.FrameRate, $"{clip.Frames.Count} frames");
        Assert.True(Vp8Payload.TryReadKeyFrameSize(clip.Frames[0], out _, out _));
        // Later frames are inter frames (P=1 in the frame tag): the clip is one key frame and what follows it.
        Assert.Equal(1, clip.Frames[1][0] & 0x01);
    }

    [Fact]
    public void A_clip_sender_sends_the_clip_frame_by_frame_in_order_and_a_receiver_gets_the_same_frames_back()
    {
        Vp8Clip clip = ShippedClip();
        var packets = new List<byte[]>();
        var sender = new MediaSender(new MediaProfile { Clip = clip }, 1, (buffer, length) => packets.Add(buffer[..length].ToArray()));
        long now = Stopwatch.GetTimestamp();
        while (packets.Count(p => (p[1] & 0x7F) == 96 && (p[1] & 0x80) != 0) < clip.Frames.Count + 2) now = sender.SendDue(now);

        var assembler = new Vp8FrameAssembler();
        var frames = new List<(uint Timestamp, byte[] Frame)>();
        foreach (byte[] packet in packets)
        {
            Assert.True(RtpHeader.TryParse(packet, out RtpHeader h));
            if (h.PayloadType == 111)
            {
                Assert.Equal(new byte[] { 0xF8, 0xFF, 0xFE }, h.Payload.ToArray()); // Opus silence, 20 ms
                continue;
            }
            Assert.Equal(96, h.PayloadType);
            Assert.True(h.PayloadLength <= 1200);
            if (assembler.Push(h.SequenceNumber, h.Timestamp, h.Marker, h.Payload, out uint timestamp) is { } frame) frames.Add((timestamp, frame));
        }

        Assert.Equal(0, assembler.Dropped);
        for (int i = 0; i < clip.Frames.Count; i++) Assert.Equal(clip.Frames[i], frames[i].Frame);
        // At the clip's end it starts again from its key frame, 90 kHz / frame rate apart as before.
        Assert.Equal(clip.Frames[0], frames[clip.Frames.Count].Frame);
        Assert.Equal(clip.Frames[1], frames[clip.Frames.Count + 1].Frame);
        uint step = (uint)(90_000 / clip.FrameRate);
        for (int i = 1; i < frames.Count; i++) Assert.Equal(step, frames[i].Timestamp - frames[i - 1].Timestamp);
        Assert.Equal(2, sender.KeyFramesSent);
    }

    [Fact]
    public void A_pli_makes_the_next_frame_the_clips_key_frame_which_an_sfu_recognises()
    {
        Vp8Clip clip = ShippedClip();
        var packets = new List<byte[]>();
        var sender = new MediaSender(new MediaProfile { Clip = clip, Audio = false }, 1, (buffer, length) => packets.Add(buffer[..length].ToArray()));
        long now = Stopwatch.GetTimestamp();
        // Audio is off: every marker ends a video frame.
        while (packets.Count(p => (p[1] & 0x80) != 0) < 5) now = sender.SendDue(now);
        sender.RequestKeyFrame();
        int before = packets.Count;
        while (packets.Count(p => (p[1] & 0x80) != 0) < 6) now = sender.SendDue(now);

        Assert.True(RtpHeader.TryParse(packets[before], out RtpHeader first));
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, first.Payload));
        var assembler = new Vp8FrameAssembler();
        byte[]? frame = null;
        foreach (byte[] packet in packets[before..])
        {
            RtpHeader.TryParse(packet, out RtpHeader h);
            frame = assembler.Push(h.SequenceNumber, h.Timestamp, h.Marker, h.Payload, out _);
        }
        Assert.Equal(clip.Frames[0], frame);
        Assert.Equal(2, sender.KeyFramesSent);
    }

    [Fact]
    public void A_missing_packet_drops_its_frame_and_what_depends_on_it_until_the_next_key_frame()
    {
        Vp8Clip clip = ShippedClip();
        var stream = new SyntheticStream(5, 96, 90_000, video: true);
        var packets = new List<byte[]>();
        var scratch = new byte[1600];
        // Key frame, three deltas, key frame, one delta; small packets so each frame takes several.
        byte[][] sent = [clip.Frames[0], clip.Frames[1], clip.Frames[2], clip.Frames[3], clip.Frames[0], clip.Frames[1]];
        var firstPacketOf = new List<int>();
        foreach (byte[] frame in sent)
        {
            firstPacketOf.Add(packets.Count);
            stream.WriteRealFrame(scratch, frame, 100, 6000, (buffer, length) => packets.Add(buffer[..length].ToArray()));
        }
        int lost = firstPacketOf[1] + 1; // the second packet of the first delta frame
        Assert.True(firstPacketOf[2] > lost, "the first delta frame must take more than one packet");

        var assembler = new Vp8FrameAssembler();
        var received = new List<byte[]>();
        for (int i = 0; i < packets.Count; i++)
        {
            if (i == lost) continue;
            RtpHeader.TryParse(packets[i], out RtpHeader h);
            if (assembler.Push(h.SequenceNumber, h.Timestamp, h.Marker, h.Payload, out _) is { } frame) received.Add(frame);
        }

        Assert.Equal([clip.Frames[0], clip.Frames[0], clip.Frames[1]], received);
        Assert.Equal(3, assembler.Dropped); // the broken delta and the two after it
    }

    [Fact]
    public void Ivf_written_and_read_back_is_the_same_clip()
    {
        Vp8Clip clip = ShippedClip();
        var frames = clip.Frames.Select((f, i) => ((uint)(uint.MaxValue - 6000 + i * 6000), f)).ToList(); // across the RTP timestamp wrap
        using var file = new MemoryStream();
        Vp8Clip.Write(file, frames);
        Vp8Clip again = Vp8Clip.Parse(file.ToArray());

        Assert.Equal(clip.Frames, again.Frames);
        Assert.Equal((160, 120), (again.Width, again.Height));
        Assert.Equal(15, again.FrameRate); // 90 kHz / 6000
    }

    [Fact]
    public void Bad_ivf_files_are_refused_with_a_clear_error()
    {
        byte[] good;
        using (var file = new MemoryStream())
        {
            Vp8Clip.Write(file, [(0u, ShippedClip().Frames[0]), (3000u, ShippedClip().Frames[1])]);
            good = file.ToArray();
        }
        byte[] Mutated(Action<byte[]> change)
        {
            byte[] copy = (byte[])good.Clone();
            change(copy);
            return copy;
        }

        byte[][] bad =
        [
            [],
            good[..20],                                                     // header cut short
            Mutated(b => b[0] = (byte)'X'),                                 // not DKIF
            Mutated(b => "VP90"u8.CopyTo(b.AsSpan(8))),                     // another codec
            Mutated(b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 0)), // no time base
            Mutated(b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(32), 1 << 30)), // frame larger than the file
            Mutated(b => b[32 + 12] |= 0x01),                               // first frame is not a key frame
            good[..(32 + 12)],                                              // a frame header and no frame: no frames
        ];
        foreach (byte[] file in bad)
        {
            InvalidDataException error = Assert.Throws<InvalidDataException>(() => Vp8Clip.Parse(file));
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
        }
    }
}
