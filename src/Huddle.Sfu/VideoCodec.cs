namespace Huddle.Sfu;

/// <summary>The video codecs whose RTP payloads <see cref="KeyFrameDetector"/> reads.</summary>
public enum VideoCodec : byte
{
    /// <summary>RFC 7741.</summary>
    Vp8,
    /// <summary>RFC 9628.</summary>
    Vp9,
    /// <summary>RFC 6184, packetization modes 0 and 1.</summary>
    H264,
    /// <summary>The AOMedia "RTP Payload Format for AV1".</summary>
    Av1,
}
