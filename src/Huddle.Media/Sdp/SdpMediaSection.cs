namespace Huddle.Media.Sdp;

/// <summary>
/// One m= section: the m= line and everything up to the next one. Unknown attributes are kept in
/// <see cref="OtherAttributes"/> and written back after the known ones.
/// </summary>
public sealed record SdpMediaSection
{
    /// <summary>The media token of the m= line: <c>audio</c>, <c>video</c>, <c>application</c>, or anything else.</summary>
    public string Media { get; init; } = "audio";

    /// <summary>0 rejects the section (unless it is bundle-only); 9 is the JSEP placeholder.</summary>
    public int Port { get; init; } = 9;

    /// <summary>The <c>/&lt;number of ports&gt;</c> of the m= line, rarely present.</summary>
    public int? PortCount { get; init; }

    public string Protocol { get; init; } = SdpProtocols.UdpTlsRtpSavpf;

    /// <summary>The m= line formats: payload type numbers for RTP, <c>webrtc-datachannel</c> for SCTP.</summary>
    public ValueList<string> Formats { get; init; } = ValueList<string>.Empty;

    /// <summary>i= and k= lines, kept verbatim.</summary>
    public ValueList<SdpLine> ExtraLines { get; init; } = ValueList<SdpLine>.Empty;

    public SdpConnection? Connection { get; init; }

    public ValueList<SdpBandwidth> Bandwidths { get; init; } = ValueList<SdpBandwidth>.Empty;

    /// <summary>The <c>a=rtcp:</c> value verbatim, for example <c>9 IN IP4 0.0.0.0</c>.</summary>
    public string? Rtcp { get; init; }

    public string? IceUfrag { get; init; }

    public string? IcePwd { get; init; }

    public ValueList<string> IceOptions { get; init; } = ValueList<string>.Empty;

    public ValueList<SdpFingerprint> Fingerprints { get; init; } = ValueList<SdpFingerprint>.Empty;

    public SdpSetup? Setup { get; init; }

    public string? Mid { get; init; }

    public ValueList<SdpExtmap> Extmaps { get; init; } = ValueList<SdpExtmap>.Empty;

    public bool ExtmapAllowMixed { get; init; }

    /// <summary>The direction attribute of this section; null when absent (which means sendrecv).</summary>
    public SdpDirection? Direction { get; init; }

    public ValueList<SdpMsid> Msids { get; init; } = ValueList<SdpMsid>.Empty;

    public bool RtcpMux { get; init; }

    public bool RtcpMuxOnly { get; init; }

    public bool RtcpRsize { get; init; }

    /// <summary><c>a=bundle-only</c> (RFC 9143): port 0 without meaning rejection.</summary>
    public bool BundleOnly { get; init; }

    /// <summary>One entry per <c>a=rtpmap</c>, in order, with its fmtp and rtcp-fb.</summary>
    public ValueList<SdpCodec> Codecs { get; init; } = ValueList<SdpCodec>.Empty;

    public ValueList<SdpSsrcGroup> SsrcGroups { get; init; } = ValueList<SdpSsrcGroup>.Empty;

    public ValueList<SdpSsrc> Ssrcs { get; init; } = ValueList<SdpSsrc>.Empty;

    public ValueList<SdpRid> Rids { get; init; } = ValueList<SdpRid>.Empty;

    public SdpSimulcast? Simulcast { get; init; }

    public int? SctpPort { get; init; }

    public long? MaxMessageSize { get; init; }

    /// <summary>
    /// Attributes the model does not interpret, in order: unknown names, <c>a=rtcp-fb:*</c>, and
    /// fmtp/rtcp-fb lines for a payload type without an rtpmap.
    /// </summary>
    public ValueList<SdpAttribute> OtherAttributes { get; init; } = ValueList<SdpAttribute>.Empty;

    public ValueList<SdpCandidate> Candidates { get; init; } = ValueList<SdpCandidate>.Empty;

    public bool EndOfCandidates { get; init; }

    public SdpMediaKind Kind => Media switch
    {
        "audio" => SdpMediaKind.Audio,
        "video" => SdpMediaKind.Video,
        "application" => SdpMediaKind.Application,
        _ => SdpMediaKind.Other,
    };

    /// <summary>Port 0 without <c>a=bundle-only</c>: the section is rejected or disabled.</summary>
    public bool IsRejected => Port == 0 && !BundleOnly;

    public bool IsRtp => SdpProtocols.IsRtp(Protocol);

    public bool IsSctp => SdpProtocols.IsSctp(Protocol);

    public SdpDirection EffectiveDirection => Direction ?? SdpDirection.SendRecv;

    public SdpCodec? FindCodec(int payloadType)
    {
        foreach (var c in Codecs)
        {
            if (c.PayloadType == payloadType) return c;
        }
        return null;
    }

    /// <summary>The rtx codec whose <c>apt=</c> names <paramref name="payloadType"/> (RFC 4588), if any.</summary>
    public SdpCodec? FindRtxCodec(int payloadType)
    {
        foreach (var c in Codecs)
        {
            if (c.IsRtx && c.AssociatedPayloadType == payloadType) return c;
        }
        return null;
    }

    /// <summary>The payload type of the rtx codec associated with <paramref name="payloadType"/>, if any.</summary>
    public int? GetRtxPayloadType(int payloadType) => FindRtxCodec(payloadType)?.PayloadType;

    public SdpExtmap? FindExtmap(string uri)
    {
        foreach (var e in Extmaps)
        {
            if (string.Equals(e.Uri, uri, StringComparison.Ordinal)) return e;
        }
        return null;
    }

    public SdpSsrc? FindSsrc(uint ssrc)
    {
        foreach (var s in Ssrcs)
        {
            if (s.Ssrc == ssrc) return s;
        }
        return null;
    }

    /// <summary>The first attribute in <see cref="OtherAttributes"/> with that name.</summary>
    public SdpAttribute? FindAttribute(string name)
    {
        foreach (var a in OtherAttributes)
        {
            if (string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase)) return a;
        }
        return null;
    }

    /// <summary>The section as SDP text, CRLF line endings.</summary>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        SdpWriter.WriteMedia(sb, this);
        return sb.ToString();
    }
}

public static class SdpProtocols
{
    public const string UdpTlsRtpSavpf = "UDP/TLS/RTP/SAVPF";
    public const string RtpSavpf = "RTP/SAVPF";
    public const string UdpDtlsSctp = "UDP/DTLS/SCTP";
    public const string TcpDtlsSctp = "TCP/DTLS/SCTP";
    public const string DtlsSctp = "DTLS/SCTP";
    public const string WebRtcDataChannel = "webrtc-datachannel";

    public static bool IsRtp(string protocol) => protocol.Contains("RTP/", StringComparison.OrdinalIgnoreCase);

    public static bool IsSctp(string protocol) => protocol.EndsWith("SCTP", StringComparison.OrdinalIgnoreCase);
}
