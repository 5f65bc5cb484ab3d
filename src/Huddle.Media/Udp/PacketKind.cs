namespace Huddle.Media.Udp;

/// <summary>What a datagram on a WebRTC port carries, told apart by its first byte.</summary>
public enum PacketKind : byte
{
    Unknown = 0,
    Stun,
    Dtls,
    Rtp,
    Rtcp,
}

/// <summary>
/// The one place where STUN, DTLS, RTP and RTCP sharing a UDP port are told apart (RFC 7983 §7,
/// RFC 5761 §4 for RTP versus RTCP).
/// </summary>
/// <remarks>
/// <code>
///              +----------------+
///              |        [0..3] -+--> STUN
///              |      [20..63] -+--> DTLS
///  packet -->  |      [64..79] -+--> TURN channel (not used: we are not a TURN server)
///              |    [128..191] -+--> RTP / RTCP  (RTCP when the second byte is 192..223)
///              +----------------+
/// </code>
/// </remarks>
public static class Demux
{
    public static PacketKind Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty) return PacketKind.Unknown;
        byte b = datagram[0];
        if (b <= 3) return datagram.Length >= 20 ? PacketKind.Stun : PacketKind.Unknown;
        if (b >= 20 && b <= 63) return datagram.Length >= 13 ? PacketKind.Dtls : PacketKind.Unknown;
        if (b >= 128 && b <= 191)
        {
            if (datagram.Length < 4) return PacketKind.Unknown;
            // RFC 5761 §4: RTCP packet types 192..223 cannot be RTP payload types (with the marker bit).
            byte pt = datagram[1];
            if (pt >= 192 && pt <= 223) return datagram.Length >= 8 ? PacketKind.Rtcp : PacketKind.Unknown;
            return datagram.Length >= 12 ? PacketKind.Rtp : PacketKind.Unknown;
        }
        return PacketKind.Unknown;
    }
}
