using Huddle.Media.Rtcp;
using Huddle.Media.Rtp;

namespace Huddle.Media.Tests;

/// <summary>The per-packet paths — parsing, enumerating, rewriting, writing — must not allocate.</summary>
public sealed class RtpRtcpAllocationTests
{
    // The test's own inputs, made once: in a Debug build a span of constants (a collection expression,
    // or stackalloc with an initializer) is built on the heap each time (72 bytes here), and what is
    // measured is the library's code.
    private static readonly uint[] RembSsrcs = [2];
    private static readonly ushort[] Lost = [10, 11, 13, 40];

    [Fact]
    public void Parsing_enumerating_and_rewriting_do_not_allocate()
    {
        byte[][] rtp = [RtpVectors.ChromeOpus, RtpVectors.ChromeVp8, RtpVectors.TwoByteExtension, RtpVectors.CsrcsAndPadding, RtpVectors.PaddingOnlyProbe];
        byte[][] rtcp = RtcpVectors.Names.Select(RtcpVectors.Get).ToArray();
        byte[] scratch = new byte[2048];

        long checksum = Work(rtp, rtcp, scratch); // warm up: JIT, statics
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) checksum += Work(rtp, rtcp, scratch);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.NotEqual(0, checksum);
    }

    private static long Work(byte[][] rtp, byte[][] rtcp, byte[] scratch)
    {
        long sum = 0;
        foreach (byte[] packet in rtp)
        {
            packet.CopyTo(scratch, 0);
            var span = scratch.AsSpan(0, packet.Length);
            RtpHeader.SetSsrc(span, 1234);
            RtpHeader.SetSequenceNumber(span, 5);
            RtpHeader.SetTimestamp(span, 6);
            RtpHeader.SetPayloadType(span, 96);
            RtpHeader.SetMarker(span, true);
            if (RtpHeader.TryGetExtensionElement(span, 3, out var twcc)) TransportWideCcExtension.TryWrite(twcc, 77);
            if (!RtpHeader.TryParse(span, out var h)) continue;
            sum += h.Ssrc + h.SequenceNumber + h.PayloadLength;
            foreach (var e in h.Extensions) sum += e.Id + e.Data.Length;
            if (h.Extensions.TryGet(4, out var mid) && SdesItemExtension.AsciiEquals(mid, "0")) sum++;
            var fields = new RtpHeaderFields { PayloadType = h.PayloadType, SequenceNumber = h.SequenceNumber, Timestamp = h.Timestamp, Ssrc = h.Ssrc };
            if (RtpPacketWriter.TryWrite(scratch.AsSpan(1024), fields, [], h.ExtensionBlock, h.Payload, h.PaddingLength, out int n)) sum += n;
        }
        foreach (byte[] datagram in rtcp)
        {
            foreach (var p in new RtcpCompoundPacket(datagram))
            {
                switch (p.Kind)
                {
                    case RtcpPacketKind.SenderReport when SenderReport.TryParse(p.Bytes, out var sr):
                        foreach (var r in sr.Reports) sum += r.Jitter;
                        break;
                    case RtcpPacketKind.ReceiverReport when ReceiverReport.TryParse(p.Bytes, out var rr):
                        foreach (var r in rr.Reports) sum += r.Jitter;
                        break;
                    case RtcpPacketKind.SourceDescription when SourceDescription.TryParse(p.Bytes, out var sdes):
                        foreach (var chunk in sdes)
                            foreach (var item in chunk) sum += item.Text.Length;
                        break;
                    case RtcpPacketKind.Goodbye when Goodbye.TryParse(p.Bytes, out var bye):
                        sum += bye.Reason.Length + bye.SsrcCount;
                        break;
                    case RtcpPacketKind.GenericNack when GenericNack.TryParse(p.Bytes, out var nack):
                        foreach (ushort seq in nack.LostSequenceNumbers) sum += seq;
                        break;
                    case RtcpPacketKind.PictureLossIndication when PictureLossIndication.TryParse(p.Bytes, out var pli):
                        sum += pli.MediaSsrc;
                        break;
                    case RtcpPacketKind.FullIntraRequest when FullIntraRequest.TryParse(p.Bytes, out var fir):
                        sum += fir.GetEntry(0).SequenceNumber;
                        break;
                    case RtcpPacketKind.ReceiverEstimatedMaxBitrate when ReceiverEstimatedMaxBitrate.TryParse(p.Bytes, out var remb):
                        sum += (long)remb.Bitrate;
                        break;
                    case RtcpPacketKind.TransportCcFeedback when TransportCcFeedback.TryParse(p.Bytes, out var fb):
                        foreach (var status in fb) sum += status.Delta;
                        break;
                    default:
                        sum += p.Length;
                        break;
                }
            }
        }
        var writer = new RtcpCompoundWriter(scratch);
        if (ReceiverReport.TryWrite(writer.Remaining, 1, [new ReceptionReport(2, 0, 0, 3, 4, 5, 6)], out int w) && writer.Advance(w)) sum += w;
        if (SourceDescription.TryWriteCname(writer.Remaining, 1, "cname"u8, out w) && writer.Advance(w)) sum += w;
        if (ReceiverEstimatedMaxBitrate.TryWrite(writer.Remaining, 1, 1_500_000UL, RembSsrcs, out w) && writer.Advance(w)) sum += w;
        Span<NackPair> pairs = stackalloc NackPair[4];
        if (NackPair.TryBuild(Lost, pairs, out int count) && GenericNack.TryWrite(writer.Remaining, 1, 2, pairs[..count], out w) && writer.Advance(w)) sum += w;
        if (PictureLossIndication.TryWrite(writer.Remaining, 1, 2, out w) && writer.Advance(w)) sum += w;
        return sum;
    }
}
