using System.Buffers.Binary;
using Huddle.Load;
using Huddle.Media.Rtp;
using Huddle.Media.Udp;

namespace Huddle.Sfu.Tests;

/// <summary>
/// The load generator's media must look like a browser's to an SFU (RFC 7741 VP8 descriptors and key
/// frames, RFC 3550 headers) and its receivers must count loss as RFC 3550 A.3 does.
/// </summary>
public class SyntheticMediaTests
{
    private static List<byte[]> Frame(SyntheticStream stream, int bytes, bool keyFrame, uint sender = 7)
    {
        var packets = new List<byte[]>();
        var scratch = new byte[1600];
        stream.WriteFrame(scratch, bytes, 1200, keyFrame, sender, 3000, (buffer, length) => packets.Add(buffer[..length].ToArray()));
        return packets;
    }

    [Fact]
    public void Video_frames_are_cut_like_a_browser_cuts_them_and_key_frames_are_recognised()
    {
        var stream = new SyntheticStream(0x1234, 96, 90000, video: true);
        List<byte[]> key = Frame(stream, 4000, keyFrame: true);
        List<byte[]> delta = Frame(stream, 4000, keyFrame: false);

        Assert.Equal(4, key.Count);
        Assert.All(key, p => Assert.True(p.Length - 12 <= 1200));
        RtpHeader.TryParse(key[0], out RtpHeader first);
        Assert.True(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, first.Payload));
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.Vp8, first.Payload));
        for (int i = 1; i < key.Count; i++)
        {
            RtpHeader.TryParse(key[i], out RtpHeader h);
            Assert.False(KeyFrameDetector.IsFrameStart(VideoCodec.Vp8, h.Payload));
            Assert.Equal(first.Timestamp, h.Timestamp);
            Assert.Equal((ushort)(first.SequenceNumber + i), h.SequenceNumber);
            Assert.Equal(i == key.Count - 1, h.Marker);
        }
        RtpHeader.TryParse(delta[0], out RtpHeader d);
        Assert.True(KeyFrameDetector.IsFrameStart(VideoCodec.Vp8, d.Payload));
        Assert.False(KeyFrameDetector.IsKeyFrame(VideoCodec.Vp8, d.Payload));
        Assert.Equal(first.Timestamp + 3000, d.Timestamp);
        Assert.Equal(0x1234u, d.Ssrc);
    }

    [Fact]
    public void Every_packet_names_its_sender_and_send_time()
    {
        var stream = new SyntheticStream(1, 111, 48000, video: false);
        long before = BatchReceiver.UnixTicks();
        byte[] packet = Frame(stream, 100, keyFrame: false, sender: 42).Single();
        RtpHeader.TryParse(packet, out RtpHeader h);
        Assert.Equal(100, h.PayloadLength);
        Assert.True(LoadTag.TryRead(h.Payload, out uint sender, out long sentAt));
        Assert.Equal(42u, sender);
        Assert.InRange(sentAt, before, BatchReceiver.UnixTicks());
        Assert.False(LoadTag.TryRead(new byte[40], out _, out _));
    }

    [Fact]
    public void Receivers_count_loss_across_a_sequence_number_wrap()
    {
        var latency = new LatencyHistogram();
        var tracker = new ReceiveTracker(latency);
        var stream = new SyntheticStream(9, 111, 48000, video: false);
        var packets = Enumerable.Range(0, 70_000).Select(_ => Frame(stream, 100, false)[0]).ToList();
        // Lose two packets, one of them right at a wrap of the 16-bit sequence number.
        int wrap = packets.FindIndex(20, p => BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2)) == 0);
        var lost = new HashSet<int> { 10, wrap };
        for (int i = 0; i < packets.Count; i++)
        {
            if (!lost.Contains(i)) tracker.OnRtp(packets[i], BatchReceiver.UnixTicks());
        }
        Assert.Equal(packets.Count - 2, tracker.Packets);
        Assert.Equal(2, tracker.Lost);
        Assert.Equal(1, tracker.SendersHeard);
        Assert.Equal(packets.Count - 2, latency.Snapshot().Sum());
    }

    [Fact]
    public void Sent_video_packets_can_be_sent_again_while_cached()
    {
        var stream = new SyntheticStream(5, 96, 90000, video: true);
        List<byte[]> sent = [.. Enumerable.Range(0, 600).SelectMany(_ => Frame(stream, 2400, false))];
        var scratch = new byte[1600];
        byte[] recent = sent[^3];
        int length = stream.CopyCached(BinaryPrimitives.ReadUInt16BigEndian(recent.AsSpan(2)), scratch);
        Assert.Equal(recent, scratch[..length]);
        Assert.Equal(0, stream.CopyCached(BinaryPrimitives.ReadUInt16BigEndian(sent[0].AsSpan(2)), scratch));
    }
}
