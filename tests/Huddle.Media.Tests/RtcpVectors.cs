namespace Huddle.Media.Tests;

/// <summary>RTCP packets written out field by field, shaped like what Chrome and libwebrtc send.</summary>
public static class RtcpVectors
{
    public static readonly byte[] SenderReport = Hex.Bytes(
        "81 c8 00 0c" +        // v=2 p=0 RC=1 PT=200 SR len=12 (52 bytes)
        "5e 4f 1a 2c" +        // SSRC of sender
        "e9 5c 4a 3b" +        // NTP timestamp, most significant word
        "1e b8 51 ec" +        // NTP timestamp, least significant word
        "00 0b b8 80" +        // RTP timestamp=768128
        "00 00 01 2c" +        // sender's packet count=300
        "00 00 b8 a0" +        // sender's octet count=47264
        "a1 b2 c3 d4" +        // report block 1: SSRC_1
        "05" +                 //   fraction lost=5/256
        "00 00 0a" +           //   cumulative lost=10
        "00 01 30 39" +        //   extended highest seq: 1 cycle, seq 12345
        "00 00 00 2f" +        //   jitter=47
        "4a 3b 1e b8" +        //   LSR (middle 32 bits of the NTP timestamp of the last SR)
        "00 01 80 00");        //   DLSR=1.5 s (1/65536 s units)

    /// <summary>What a receive-only Chrome sends every second: RR + SDES(CNAME) + REMB in one datagram.</summary>
    public static readonly byte[] ChromeCompound = Hex.Bytes(
        "81 c9 00 07" +        // v=2 p=0 RC=1 PT=201 RR len=7 (32 bytes)
        "00 00 00 01" +        // SSRC of packet sender (1: Chrome's receive-only SSRC)
        "5e 4f 1a 2c" +        // report block: SSRC_1
        "00" +                 //   fraction lost=0
        "ff ff ff" +           //   cumulative lost=-1 (a duplicate)
        "00 00 1a 2b" +        //   extended highest seq=6699
        "00 00 00 0c" +        //   jitter=12
        "4a 3b 1e b8" +        //   LSR
        "00 00 40 00" +        //   DLSR=0.25 s
        "81 ca 00 06" +        // v=2 p=0 SC=1 PT=202 SDES len=6 (28 bytes)
        "00 00 00 01" +        //   chunk SSRC
        "01 10" +              //   CNAME len=16
        "34 54 4f 6b 34 32 6d 53 6a 58 43 6b 56 49 61 36" + // "4TOk42mSjXCkVIa6"
        "00 00" +              //   end of items + pad to 32 bits
        "8f ce 00 05" +        // v=2 p=0 FMT=15 PT=206 PSFB len=5 (24 bytes)
        "00 00 00 01" +        //   SSRC of packet sender
        "00 00 00 00" +        //   SSRC of media source (always 0)
        "52 45 4d 42" +        //   "REMB"
        "01" +                 //   Num SSRC=1
        "0b d0 90" +           //   BR Exp=2, BR Mantissa=250000: 1,000,000 bps
        "5e 4f 1a 2c");        //   SSRC feedback

    public static readonly byte[] SourceDescription = Hex.Bytes(
        "82 ca 00 08" +        // v=2 p=0 SC=2 PT=202 SDES len=8 (36 bytes)
        "5e 4f 1a 2c" +        // chunk 1 SSRC
        "01 09 75 73 65 72 40 68 6f 73 74" + // CNAME len=9 "user@host"
        "06 06 68 75 64 64 6c 65" +          // TOOL len=6 "huddle"
        "00" +                 // end of items (already on a 32-bit boundary after it)
        "a1 b2 c3 d4" +        // chunk 2 SSRC
        "01 01 78" +           // CNAME len=1 "x"
        "00");                 // end of items

    public static readonly byte[] GoodbyeWithReason = Hex.Bytes(
        "82 cb 00 05" +        // v=2 p=0 SC=2 PT=203 BYE len=5 (24 bytes)
        "5e 4f 1a 2c" +        // SSRC 1
        "a1 b2 c3 d4" +        // SSRC 2
        "0a" +                 // reason length=10
        "63 61 6d 65 72 61 20 6f 66 66" + // "camera off"
        "00");                 // pad to 32 bits

    public static readonly byte[] Goodbye = Hex.Bytes(
        "81 cb 00 01" +        // v=2 p=0 SC=1 PT=203 BYE len=1 (8 bytes)
        "5e 4f 1a 2c");        // SSRC

    public static readonly byte[] GenericNack = Hex.Bytes(
        "81 cd 00 04" +        // v=2 p=0 FMT=1 PT=205 RTPFB len=4 (20 bytes)
        "00 00 00 01" +        // SSRC of packet sender
        "a1 b2 c3 d4" +        // SSRC of media source
        "30 39 00 05" +        // PID=12345 BLP=0x0005: 12345, 12346, 12348 lost
        "ff ff 80 00");        // PID=65535 BLP=0x8000: 65535 and 15 (wrapped) lost

    public static readonly byte[] PictureLossIndication = Hex.Bytes(
        "81 ce 00 02" +        // v=2 p=0 FMT=1 PT=206 PSFB len=2 (12 bytes)
        "00 00 00 01" +        // SSRC of packet sender
        "a1 b2 c3 d4");        // SSRC of media source

    public static readonly byte[] FullIntraRequest = Hex.Bytes(
        "84 ce 00 04" +        // v=2 p=0 FMT=4 PT=206 PSFB len=4 (20 bytes)
        "00 00 00 01" +        // SSRC of packet sender
        "00 00 00 00" +        // SSRC of media source (unused, 0)
        "a1 b2 c3 d4" +        // FCI: SSRC
        "07 00 00 00");        //      seq nr=7, reserved

    /// <summary>libwebrtc style: all three chunk types, a negative large delta, and RTCP padding with the P bit.</summary>
    public static readonly byte[] TransportCc = Hex.Bytes(
        "af cd 00 0b" +        // v=2 p=1 FMT=15 PT=205 RTPFB len=11 (48 bytes)
        "00 00 00 01" +        // SSRC of packet sender
        "5e 4f 1a 2c" +        // SSRC of media source
        "01 2c 00 16" +        // base seq=300, packet status count=22
        "01 23 45 07" +        // reference time=0x012345 (x64 ms), fb pkt count=7
        "d6 15" +              // status vector, 2-bit: small small large none small small small
        "20 08" +              // run length: small delta x8
        "ac 80" +              // status vector, 1-bit: 1 0 1 1 0 0 1 (+7 unused)
        "04 14" +              // deltas #300 #301: 1 ms, 5 ms
        "ff f0" +              // delta #302 (large): -16 = -4 ms, reordered
        "28 00 08" +           // deltas #304 #305 #306
        "10 10 10 10 10 10 10 10" + // deltas #307..#314: 4 ms each
        "04 3c 01 ff" +        // deltas #315 #317 #318 #321
        "00 00 03");           // RTCP padding, count=3

    /// <summary>pion style: a run-length chunk across the sequence wrap, zero padding inside the length, P=0.</summary>
    public static readonly byte[] TransportCcWrap = Hex.Bytes(
        "8f cd 00 06" +        // v=2 p=0 FMT=15 PT=205 RTPFB len=6 (28 bytes)
        "00 00 00 01" +        // SSRC of packet sender
        "5e 4f 1a 2c" +        // SSRC of media source
        "ff fe 00 03" +        // base seq=65534, packet status count=3
        "ff ff ff 00" +        // reference time=-1 (signed 24-bit), fb pkt count=0
        "20 03" +              // run length: small delta x3
        "00 04 04" +           // deltas #65534 #65535 #0
        "00 00 00");           // zero padding (no P bit)

    /// <summary>Packets this library does not interpret: APP, RTPFB TMMBR (FMT 3), PSFB AFB that is not REMB, XR.</summary>
    public static readonly byte[] Unknowns = Hex.Bytes(
        "80 cc 00 03" +        // v=2 p=0 subtype=0 PT=204 APP len=3 (16 bytes)
        "00 00 00 01" +        //   SSRC
        "48 44 4c 45" +        //   name "HDLE"
        "01 02 03 04" +        //   application data
        "83 cd 00 04" +        // v=2 p=0 FMT=3 PT=205 RTPFB (TMMBR) len=4 (20 bytes)
        "00 00 00 01" +        //   SSRC of packet sender
        "00 00 00 00" +        //   SSRC of media source
        "a1 b2 c3 d4" +        //   FCI: SSRC
        "0c 3d 40 28" +        //   MxTBR exp/mantissa/overhead
        "8f ce 00 03" +        // v=2 p=0 FMT=15 PT=206 PSFB (AFB) len=3 (16 bytes)
        "00 00 00 01" +        //   SSRC of packet sender
        "00 00 00 00" +        //   SSRC of media source
        "67 6f 6f 67" +        //   "goog": not REMB
        "80 cf 00 02" +        // v=2 p=0 PT=207 XR len=2 (12 bytes)
        "00 00 00 01" +        //   SSRC
        "04 00 00 02" +        //   block type 4 (RRTR) ... truncated to its header
        "a0 c9 00 02" +        // v=2 p=1 RC=0 PT=201 RR len=2 (12 bytes), padded
        "00 00 00 01" +        //   SSRC of packet sender
        "00 00 00 04");        //   padding, count=4

    public static IEnumerable<object[]> All() => Names.Select(n => new object[] { n });

    public static readonly string[] Names =
    [
        nameof(SenderReport), nameof(ChromeCompound), nameof(SourceDescription), nameof(GoodbyeWithReason), nameof(Goodbye),
        nameof(GenericNack), nameof(PictureLossIndication), nameof(FullIntraRequest), nameof(TransportCc), nameof(TransportCcWrap),
        nameof(Unknowns),
    ];

    public static byte[] Get(string name) => name switch
    {
        nameof(SenderReport) => SenderReport,
        nameof(ChromeCompound) => ChromeCompound,
        nameof(SourceDescription) => SourceDescription,
        nameof(GoodbyeWithReason) => GoodbyeWithReason,
        nameof(Goodbye) => Goodbye,
        nameof(GenericNack) => GenericNack,
        nameof(PictureLossIndication) => PictureLossIndication,
        nameof(FullIntraRequest) => FullIntraRequest,
        nameof(TransportCc) => TransportCc,
        nameof(TransportCcWrap) => TransportCcWrap,
        nameof(Unknowns) => Unknowns,
        _ => throw new ArgumentException(name),
    };
}
