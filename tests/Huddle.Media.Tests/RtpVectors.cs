namespace Huddle.Media.Tests;

/// <summary>RTP packets as Chrome sends them, written out field by field.</summary>
public static class RtpVectors
{
    /// <summary>Chrome Opus audio with one-byte extensions: audio level, abs-send-time, transport-wide-cc, mid.</summary>
    public static readonly byte[] ChromeOpus = Hex.Bytes(
        "90 6f 1a 2b" +        // v=2 p=0 x=1 cc=0 | m=0 pt=111 (opus) | seq=0x1a2b=6699
        "00 0b b8 80" +        // timestamp=768128
        "5e 4f 1a 2c" +        // ssrc=0x5e4f1a2c
        "be de 00 03" +        // profile=0xBEDE (one-byte) length=3 words
        "10 ff" +              // id=1 L=0 ssrc-audio-level: V=1 level=127
        "22 12 34 56" +        // id=2 L=2 abs-send-time=0x123456
        "31 00 05" +           // id=3 L=1 transport-wide-cc seq=5
        "40 30" +              // id=4 L=0 sdes:mid="0"
        "00" +                 // padding to 32 bits
        "78 0b e4 c1 36 ec c5 8d 8c 49 46 99"); // opus payload (TOC 0x78: CELT FB 20 ms)

    /// <summary>Chrome VP8 video, last packet of a frame, with abs-send-time, transport-wide-cc, mid and rid.</summary>
    public static readonly byte[] ChromeVp8 = Hex.Bytes(
        "90 e0 30 39" +        // v=2 p=0 x=1 cc=0 | m=1 pt=96 (VP8) | seq=12345
        "5d 2c 1a 40" +        // timestamp=0x5d2c1a40
        "a1 b2 c3 d4" +        // ssrc=0xa1b2c3d4
        "be de 00 03" +        // profile=0xBEDE length=3 words
        "22 0a bc de" +        // id=2 L=2 abs-send-time=0x0abcde
        "31 01 2c" +           // id=3 L=1 transport-wide-cc seq=300
        "40 31" +              // id=4 L=0 sdes:mid="1"
        "a0 68" +              // id=10 L=0 rtp-stream-id="h"
        "00" +                 // padding
        "90 80 00 2a 9d 01 2a 80 02 e0 01"); // VP8 payload descriptor + key frame start

    /// <summary>A two-byte-form extension (0x1000): a zero-length element and an id above 14.</summary>
    public static readonly byte[] TwoByteExtension = Hex.Bytes(
        "90 6f 00 01" +        // v=2 p=0 x=1 cc=0 | m=0 pt=111 | seq=1
        "00 00 03 c0" +        // timestamp=960
        "11 22 33 44" +        // ssrc=0x11223344
        "10 00 00 03" +        // profile=0x1000 (two-byte, appbits=0) length=3 words
        "01 00" +              // id=1 L=0 (no data: only the two-byte form can say this)
        "04 01 31" +           // id=4 L=1 data="1"
        "20 04 de ad be ef" +  // id=32 L=4 data=deadbeef
        "00" +                 // padding
        "01 02 03 04");        // payload

    /// <summary>G.711 from a mixer: two CSRCs and four bytes of padding.</summary>
    public static readonly byte[] CsrcsAndPadding = Hex.Bytes(
        "a2 08 00 64" +        // v=2 p=1 x=0 cc=2 | m=0 pt=8 (PCMA) | seq=100
        "00 00 1f 40" +        // timestamp=8000
        "00 00 00 2a" +        // ssrc=42
        "00 00 00 01" +        // csrc[0]=1
        "00 00 00 02" +        // csrc[1]=2
        "d5 d5 d5 d5" +        // payload (PCMA silence)
        "00 00 00 04");        // padding: 3 zero bytes, count=4

    /// <summary>A Chrome bandwidth probe: padding only, on the RTX stream, with abs-send-time and transport-wide-cc.</summary>
    public static readonly byte[] PaddingOnlyProbe = Hex.Bytes(
        "b0 61 00 07" +        // v=2 p=1 x=1 cc=0 | m=0 pt=97 (rtx) | seq=7
        "5d 2c 1a 40" +        // timestamp
        "0b 0c 0d 0e" +        // ssrc (rtx)
        "be de 00 02" +        // profile=0xBEDE length=2 words
        "22 00 00 40" +        // id=2 L=2 abs-send-time=0x000040
        "31 01 2d 00" +        // id=3 L=1 transport-wide-cc seq=301, padding
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 10"); // 16 bytes padding, count=16

    public static IEnumerable<object[]> All() =>
    [
        [nameof(ChromeOpus)], [nameof(ChromeVp8)], [nameof(TwoByteExtension)], [nameof(CsrcsAndPadding)], [nameof(PaddingOnlyProbe)],
    ];

    public static byte[] Get(string name) => name switch
    {
        nameof(ChromeOpus) => ChromeOpus,
        nameof(ChromeVp8) => ChromeVp8,
        nameof(TwoByteExtension) => TwoByteExtension,
        nameof(CsrcsAndPadding) => CsrcsAndPadding,
        nameof(PaddingOnlyProbe) => PaddingOnlyProbe,
        _ => throw new ArgumentException(name),
    };
}
